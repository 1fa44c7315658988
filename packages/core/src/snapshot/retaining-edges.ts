import type { HeapSnapshot } from './heap-snapshot.js'

/**
 * Which edges keep their target alive. Dominators, retained sizes, retainer paths and cycle
 * detection all walk the same graph, so they all read the mask built here.
 *
 * Each rule is small and says why; an edge retains unless a rule says it does not.
 */
type EdgeRule = (snapshot: HeapSnapshot, from: number, edge: number) => boolean

const notRetaining: Array<{ why: string; rule: EdgeRule }> = [
  {
    why: 'weak references (WeakRef targets, WeakMap keys, FinalizationRegistry cells, ephemeron slots) never retain',
    rule: (s, _from, e) => s.edgeType(e) === 'weak',
  },
  {
    why: "shortcut edges duplicate a longer real path; only the root's shortcuts (to the global objects) mark real roots, as in DevTools",
    rule: (s, from, e) => s.edgeType(e) === 'shortcut' && from !== s.rootNode,
  },
  {
    why: "V8 writes a WeakMap entry's value twice: from its key and from the table. Only the key keeps the value alive (an ephemeron), so the table's copy of the edge would make every WeakMap value look retained by the WeakMap",
    rule: (s, from, e) => s.edgeType(e) === 'internal' && isWeakMapValueEdgeFromOtherThanKey(s, from, e),
  },
  {
    why: "Node's cleanup queue lists every vm context that is not collected yet, to dispose of it at exit: it does not keep one alive (the snapshot draws the entry as an edge), and through it every vm context would look held by Node",
    rule: (s, from) => s.nodeName(from) === 'Node / CleanupQueue',
  },
]

/** `part of key (Object @123) -> value (Object @125) pair in WeakMap (table @77)`, after `4 / ` on newer V8s. */
const WEAKMAP_PAIR = /^(?:\d+ \/ )?part of key \(.* @(\d+)\) -> value \(.* @\d+\) pair in WeakMap/

function isWeakMapValueEdgeFromOtherThanKey(s: HeapSnapshot, from: number, e: number): boolean {
  const name = s.edgeName(e)
  if (typeof name !== 'string' || !name.includes('part of key')) return false
  const key = WEAKMAP_PAIR.exec(name)
  return key !== null && Number(key[1]) !== s.nodeId(from)
}

const masks = new WeakMap<HeapSnapshot, Uint8Array>()

/** 1 for each edge that keeps its target alive. Built once per snapshot (one byte per edge). */
export function retainingEdges(snapshot: HeapSnapshot): Uint8Array {
  let mask = masks.get(snapshot)
  if (mask) return mask
  mask = new Uint8Array(snapshot.edgeCount)
  for (let from = 0; from < snapshot.nodeCount; from++) {
    for (let e = snapshot.firstEdge[from]!; e < snapshot.firstEdge[from + 1]!; e++) {
      mask[e] = notRetaining.some(({ rule }) => rule(snapshot, from, e)) ? 0 : 1
    }
  }
  masks.set(snapshot, mask)
  return mask
}
