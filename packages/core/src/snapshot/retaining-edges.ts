import type { HeapSnapshot } from './heap-snapshot.js'

/**
 * Which edges keep their target alive. Dominators, retained sizes, retainer paths and cycle
 * detection all walk the same graph, so they all read the mask built here.
 *
 * Each rule is small and says why. An edge rule names the one edge type it is about (so the
 * millions of edges of other types are never asked); a holder rule is asked once per node, about
 * all of its edges. An edge retains unless a rule says it does not.
 */
interface EdgeRule {
  edgeType: string
  why: string
  notRetaining: (snapshot: HeapSnapshot, from: number, edge: number) => boolean
}

/** Nodes named `holder` hold nothing: compared by string index, found once per snapshot. */
interface HolderRule {
  why: string
  holder: string
}

const rules: EdgeRule[] = [
  {
    edgeType: 'weak',
    why: 'weak references (WeakRef targets, WeakMap keys, FinalizationRegistry cells, ephemeron slots) never retain',
    notRetaining: () => true,
  },
  {
    edgeType: 'shortcut',
    why: "shortcut edges duplicate a longer real path; only the root's shortcuts (to the global objects) mark real roots, as in DevTools",
    notRetaining: (s, from) => from !== s.rootNode,
  },
  {
    edgeType: 'internal',
    why: "V8 writes a WeakMap entry's value twice: from its key and from the table. Only the key keeps the value alive (an ephemeron), so the table's copy of the edge would make every WeakMap value look retained by the WeakMap",
    notRetaining: (s, from, e) => isWeakMapValueEdgeFromOtherThanKey(s, from, e),
  },
]

const holderRules: HolderRule[] = [
  {
    why: "Node's cleanup queue lists every vm context that is not collected yet, to dispose of it at exit: it does not keep one alive (the snapshot draws the entry as an edge), and through it every vm context would look held by Node",
    holder: 'Node / CleanupQueue',
  },
]

/** `part of key (Object @123) -> value (Object @125) pair in WeakMap (table @77)`, after `4 / ` on newer V8s. */
const WEAKMAP_PAIR = /^(?:\d+ \/ )?part of key \(.* @(\d+)\) -> value \(.* @\d+\) pair in WeakMap/

function isWeakMapValueEdgeFromOtherThanKey(s: HeapSnapshot, from: number, e: number): boolean {
  // Most internal edges are named `map`, `elements`, …: the name is looked at in its bytes first.
  if (!s.edgeNameIncludes(e, 'part of key')) return false
  const key = WEAKMAP_PAIR.exec(String(s.edgeName(e)))
  return key !== null && Number(key[1]) !== s.nodeId(from)
}

/** A loop, not `rules.some(closure)`: this is asked for millions of internal edges, a closure each. */
function anyRuleSaysNotRetaining(rules: EdgeRule[], snapshot: HeapSnapshot, from: number, edge: number): boolean {
  for (const rule of rules) if (rule.notRetaining(snapshot, from, edge)) return true
  return false
}

const masks = new WeakMap<HeapSnapshot, Uint8Array>()

/** 1 for each edge that keeps its target alive. Built once per snapshot (one byte per edge). */
export function retainingEdges(snapshot: HeapSnapshot): Uint8Array {
  let mask = masks.get(snapshot)
  if (mask) return mask
  const rulesOfType = snapshot.edgeTypes.map((type) => rules.filter((r) => r.edgeType === type))
  // A byte per edge type: the loop below reads it for every edge, and asks no rule of most of them.
  const hasRules = Uint8Array.from(rulesOfType, (r) => (r.length > 0 ? 1 : 0))
  mask = new Uint8Array(snapshot.edgeCount).fill(1)
  const { firstEdge } = snapshot
  // One byte per string, 1 for a holder rule's name: a byte read per node.
  const holderName = new Uint8Array(snapshot.strings.count)
  for (const { holder } of holderRules) {
    const at = snapshot.strings.find(holder)
    if (at >= 0) holderName[at] = 1
  }
  for (let from = 0; from < snapshot.nodeCount; from++) {
    if (firstEdge[from] === firstEdge[from + 1]) continue
    if (holderName[snapshot.nodeNameIndex(from)]) {
      mask.fill(0, firstEdge[from], firstEdge[from + 1])
      continue
    }
    for (let e = firstEdge[from]!, end = firstEdge[from + 1]!; e < end; e++) {
      const type = snapshot.edgeTypeIndex(e)
      if (hasRules[type] && anyRuleSaysNotRetaining(rulesOfType[type]!, snapshot, from, e)) mask[e] = 0
    }
  }
  masks.set(snapshot, mask)
  return mask
}
