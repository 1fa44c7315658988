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
  const { firstEdge, edgeTargets, nodeCount } = s
  const first = new Uint32Array(nodeCount + 1)
  countByTarget(strong, edgeTargets, first)
  prefixSums(first)
  const total = first[nodeCount]!
  const node = new Uint32Array(total)
  fillBySource(strong, firstEdge, edgeTargets, first, node)
  first.copyWithin(0, 1)
  first[nodeCount] = total
  const result = { first, node }
  results.set(s, result)
  return result
}

// One loop per function here and in dominators.ts: a loop run once per snapshot is compiled by
// TurboFan while it runs (on-stack replacement), and code after it that has not run yet has no
// type feedback, so a function of several loops deoptimizes at the end of each and waits in the
// interpreter for the next to be compiled.

/** `count[target + 1]` = the number of retaining edges to each target. */
function countByTarget(strong: Uint8Array, edgeTargets: Uint32Array, count: Uint32Array): void {
  for (let e = 0; e < edgeTargets.length; e++) if (strong[e]) count[edgeTargets[e]! + 1]!++
}

/** Running sums in place: `a[i]` becomes `a[0] + … + a[i]`. */
export function prefixSums(a: Uint32Array): void {
  for (let i = 1; i < a.length; i++) a[i]! += a[i - 1]!
}

/**
 * Each retaining edge's source into its target's range, filled from the end of each range, which
 * leaves `first[n + 1]` at the start of n's range: shifted down by one after, so no second array
 * of cursors is needed.
 */
function fillBySource(
  strong: Uint8Array,
  firstEdge: Uint32Array,
  edgeTargets: Uint32Array,
  first: Uint32Array,
  node: Uint32Array,
): void {
  for (let from = 0; from < firstEdge.length - 1; from++)
    for (let e = firstEdge[from]!, end = firstEdge[from + 1]!; e < end; e++)
      if (strong[e]) node[--first[edgeTargets[e]! + 1]!] = from
}
