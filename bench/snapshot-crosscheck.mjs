// Cross-checks leakproof's heap snapshot engine against memlab (@memlab/core, a dev dependency)
// on one snapshot: node and edge counts, retained sizes of a few named objects, and the distance
// from a GC root to the leaked group. Each engine runs in its own child process so its peak RSS
// (process.resourceUsage().maxRSS) is its own. Loading is shared with bench/snapshot-engines.mjs
// (bench/lib/heap-engines.mjs), which times all four engines on 20–300 MB snapshots.
//
//   npm run build -w @leakproof/core && node bench/snapshot-crosscheck.mjs [entries=20000]
//
// The snapshots come from packages/core's known-graph fixture: a module-level Map gaining
// `entries` closures that each hold a 16-slot array.
import { execFileSync } from 'node:child_process'
import { mkdtempSync, statSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { core, leakproofLoad, memlabLoad, peakRssMb, since } from './lib/heap-engines.mjs'

const [mode, file, idsJson] = process.argv.slice(2)

if (mode === 'leakproof') await runLeakproof()
else if (mode === 'memlab') await runMemlab()
else compare(Number(mode ?? 20000))

function compare(entries) {
  const dir = mkdtempSync(join(tmpdir(), 'leakproof-crosscheck-'))
  let t = performance.now()
  execFileSync(
    process.execPath,
    [join(core, 'test', 'fixtures', 'snapshot', 'make-snapshots.cjs'), dir, 'user-cache', String(entries)],
    { env: { ...process.env, LEAKPROOF_CORE: join(core, 'dist', 'cjs', 'index.js') } },
  )
  const after = join(dir, 'after.heapsnapshot')
  const mb = statSync(after).size / 1024 ** 2
  console.log(
    `fixture: ${entries} entries, before+after captured in ${((performance.now() - t) / 1000).toFixed(1)} s; after.heapsnapshot ${mb.toFixed(1)} MB\n`,
  )
  const run = (engine, ...args) =>
    JSON.parse(
      execFileSync(
        process.execPath,
        ['--max-old-space-size=4096', fileURLToPath(import.meta.url), engine, after, ...args],
        { encoding: 'utf8' },
      )
        .trim()
        .split('\n')
        .at(-1),
    )
  t = performance.now()
  const lp = run('leakproof')
  const ml = run('memlab', JSON.stringify(lp.ids))
  const rows = [
    ['nodes', lp.nodes, ml.nodes],
    ['edges', lp.edges, ml.edges],
    ['parse s', lp.parseSeconds, ml.parseSeconds],
    ['parse MB/s', +(mb / lp.parseSeconds).toFixed(0), +(mb / ml.parseSeconds).toFixed(0)],
    ['dominators+sizes s', lp.dominatorSeconds, ml.dominatorSeconds],
    ['peak RSS MB', lp.peakRssMb, ml.peakRssMb],
    ['leakproof JS heap / typed arrays MB (both snapshots)', `${lp.heapUsedMb} / ${lp.arrayBuffersMb}`, ''],
    ...Object.keys(lp.retained).map((name) => [`retained ${name}`, lp.retained[name], ml.retained[name]]),
    ['root distance of leaked closure', lp.distance, ml.distance],
  ]
  console.log(`leakproof path: ${lp.path}\nmemlab path:    ${ml.path}\n`)
  for (const [what, a, b] of [['', 'leakproof', 'memlab'], ...rows])
    console.log(
      `${String(what).padEnd(34)} ${String(a).padStart(12)} ${String(b).padStart(12)}${a !== b && typeof a === 'number' && !/ s$|MB/.test(what) ? '   differs' : ''}`,
    )
}

async function runLeakproof() {
  const { engine, snapshot: s, parseSeconds } = await leakproofLoad(file)
  const { parseHeapSnapshot, dominators, diffSnapshots, shortestPaths, pathFromRoot } = engine
  const t = performance.now()
  const { retainedSize } = dominators(s)
  const dominatorSeconds = since(t)
  const { distance } = shortestPaths(s)
  const before = await parseHeapSnapshot(join(dirname(file), 'before.heapsnapshot'))
  const closures = diffSnapshots(before, s).groups.find((g) => g.name === 'closure onUserLoaded')
  const representative = closures.representative
  const hops = pathFromRoot(s, representative)
  // Named objects both engines can look up by id: the global object, the leaking Map, one leaked closure.
  const ids = {
    global: s.nodeId(
      s.edgeTarget(
        Array.from({ length: s.firstEdge[s.rootNode + 1] }, (_, e) => e).find((e) => s.edgeType(e) === 'shortcut'),
      ),
    ),
    'Map (cache)': s.nodeId(hops.findLast((h) => s.nodeName(h.node) === 'Map').node),
    'closure onUserLoaded': s.nodeId(representative),
  }
  const retained = Object.fromEntries(
    Object.entries(ids).map(([k, id]) => [`${k} @${id}`, retainedSize[s.nodeOfId(id)]]),
  )
  const path = `(root) ${hops.map((h) => `-${s.edgeName(h.edge)}→ ${s.nodeName(h.node)}`).join(' ')}`
  console.log(
    JSON.stringify({
      nodes: s.nodeCount,
      edges: s.edgeCount,
      parseSeconds,
      dominatorSeconds,
      retained,
      ids,
      path,
      distance: distance[representative],
      heapUsedMb: Math.round(process.memoryUsage().heapUsed / 1024 ** 2),
      arrayBuffersMb: Math.round(process.memoryUsage().arrayBuffers / 1024 ** 2),
      peakRssMb: peakRssMb(),
    }),
  )
}

async function runMemlab() {
  const { memlab, heap, parseSeconds } = await memlabLoad(file)
  const t = performance.now()
  const finder = memlab.analysis.preparePathFinder(heap) // memlab: BFS shortest paths + dominators + retained sizes
  const dominatorSeconds = since(t)
  const ids = JSON.parse(idsJson)
  const retained = Object.fromEntries(
    Object.entries(ids).map(([k, id]) => [`${k} @${id}`, heap.getNodeById(id).retainedSize]),
  )
  const names = []
  for (let item = finder.getPathToGCRoots(heap, heap.getNodeById(ids['closure onUserLoaded'])); item; item = item.next)
    names.push(`${item.node?.name}${item.edge ? ` -${item.edge.name_or_index}→` : ''}`)
  const distance = names.length - 1
  const path = names.join(' ')
  console.log(
    JSON.stringify({
      nodes: heap.nodes.length,
      edges: heap.edges.length,
      parseSeconds,
      dominatorSeconds,
      retained,
      distance,
      path,
      peakRssMb: peakRssMb(),
    }),
  )
}
