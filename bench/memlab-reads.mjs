// memlab reads a snapshot leakproof kept (option keepSnapshots): its loader, its shortest paths and
// retained sizes, and the path memlab finds to an object leakproof's report named (`@id` from
// `leakproof diff --json`, paths[].id).
//   node bench/memlab-reads.mjs <after.heapsnapshot> <object id>
import { memlabLoad } from './lib/heap-engines.mjs'

const [file, idText] = process.argv.slice(2)
const { memlab, heap } = await memlabLoad(file)
const finder = new memlab.TraceFinder()
finder.annotateShortestPaths(heap)
finder.calculateAllNodesRetainedSizes(heap)
const node = heap.getNodeById(Number(idText.replace(/^@/, '')))
console.log(`memlab read ${file}: ${heap.nodes.length} nodes, ${heap.edges.length} edges`)
if (!node) throw new Error(`no node @${idText}`)
const path = []
for (let at = node; at?.pathEdge; at = at.pathEdge.fromNode)
  path.unshift(`${at.pathEdge.name_or_index} → ${at.name || at.type} @${at.id}`)
console.log(`  @${node.id} ${node.name}: self ${node.self_size} B, retained ${node.retainedSize} B`)
console.log(`  memlab's path from a root:\n    ${path.slice(-6).join('\n    ')}`)
