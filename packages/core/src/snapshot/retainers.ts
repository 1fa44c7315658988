import type { HeapSnapshot } from './heap-snapshot.js'
import { retainingEdges } from './retaining-edges.js'

/** The nodes that hold each node over a retaining edge: `node[first[n]..first[n+1]]` hold node n. */
export interface Retainers {
  first: Uint32Array
  node: Uint32Array
}

const results = new WeakMap<HeapSnapshot, Retainers>()

/**
 * The reverse of the retaining edges (a counting sort of them by target), for the dominator tree
 * and for the few questions that look up a node's holders. Only retaining edges, and only their
 * source nodes: 4 bytes per edge where edge ordinals and sources of every edge would take 8.
 * Memoised per snapshot.
 */
export function retainers(s: HeapSnapshot): Retainers {
  const cached = results.get(s)
  if (cached) return cached
  const strong = retainingEdges(s)
  const { firstEdge, nodeCount } = s
  const first = new Uint32Array(nodeCount + 1)
  for (let e = 0; e < s.edgeCount; e++) if (strong[e]) first[s.edgeTarget(e) + 1]!++
  for (let n = 0; n < nodeCount; n++) first[n + 1]! += first[n]!
  const total = first[nodeCount]!
  const node = new Uint32Array(total)
  // Filled from the end of each range, which leaves first[n + 1] at the start of n's range: shifted
  // down by one after, so no second array of cursors is needed.
  for (let from = 0; from < nodeCount; from++)
    for (let e = firstEdge[from]!, end = firstEdge[from + 1]!; e < end; e++)
      if (strong[e]) node[--first[s.edgeTarget(e) + 1]!] = from
  first.copyWithin(0, 1)
  first[nodeCount] = total
  const result = { first, node }
  results.set(s, result)
  return result
}
