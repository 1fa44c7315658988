import type { HeapSnapshot } from './heap-snapshot.js'
import { retainingEdges } from './retaining-edges.js'

/**
 * Bytes freed when every one of `nodes` goes: their own sizes and those of the objects that every
 * retaining path from the GC root reaches through one of them. For one node this is its retained
 * size in the dominator tree; for several it is not the sum of theirs (an object both hold, and
 * nothing else, is dominated by neither), so it is walked: the graph from the root around
 * `nodes`, then what is left of it from `nodes`. Two passes over the edges at most.
 */
export function freedWith(s: HeapSnapshot, nodes: readonly number[]): number {
  const strong = retainingEdges(s)
  const { firstEdge } = s
  const state = new Uint8Array(s.nodeCount)
  const queue = new Uint32Array(s.nodeCount)
  const walk = (from: readonly number[], mark: number): number => {
    let size = 0
    let tail = 0
    for (const n of from) queue[tail++] = n
    for (let head = 0; head < tail; head++) {
      const node = queue[head]!
      size += s.selfSize(node)
      for (let e = firstEdge[node]!, end = firstEdge[node + 1]!; e < end; e++) {
        if (!strong[e]) continue
        const target = s.edgeTarget(e)
        if (state[target] !== UNSEEN) continue
        state[target] = mark
        queue[tail++] = target
      }
    }
    return size
  }
  for (const n of nodes) state[n] = FREED
  if (state[s.rootNode] === UNSEEN) {
    state[s.rootNode] = KEPT
    walk([s.rootNode], KEPT)
  }
  return walk([...new Set(nodes)], FREED)
}

const UNSEEN = 0
const KEPT = 1
const FREED = 2
