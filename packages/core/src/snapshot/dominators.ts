import type { HeapSnapshot } from './heap-snapshot.js'
import { retainers } from './retainers.js'
import { retainingEdges } from './retaining-edges.js'

export interface Dominators {
  /** Immediate dominator of each node (by ordinal); the root dominates itself and nodes it cannot reach. */
  idom: Uint32Array
  /** Self size plus everything only reachable through the node, in bytes. */
  retainedSize: Float64Array
}

const results = new WeakMap<HeapSnapshot, Dominators>()

/**
 * The dominator tree over retaining edges (see retaining-edges.ts), by Semi-NCA: Lengauer–Tarjan's
 * semidominators (eval with path compression), then each immediate dominator as the nearest
 * ancestor of the DFS parent whose number is at most the semidominator, walking dominators already
 * found (Georgiadis, "Linear-Time Algorithms for Dominators", 2005; what LLVM uses). It needs no
 * buckets, so 6 arrays of 4 bytes per node instead of 10. The simpler iterative
 * Cooper–Harvey–Kennedy algorithm DevTools used for years goes quadratic on long linked chains: 7 s
 * on a 100 MB snapshot where this takes a fraction of a second. Memoised per snapshot.
 */
export function dominators(snapshot: HeapSnapshot): Dominators {
  const cached = results.get(snapshot)
  if (cached) return cached
  const n = snapshot.nodeCount
  const strong = retainingEdges(snapshot)
  const { first: firstRetainer, node: retainer } = retainers(snapshot)
  const { firstEdge, rootNode: root } = snapshot

  // DFS numbers are 1-based so 0 can mean "none". `semi` and `ancestor` share one buffer that
  // becomes the retained sizes at the end; `label` becomes `idom`.
  const shared = new ArrayBuffer(8 * (n + 1))
  const semi = new Uint32Array(shared, 0, n + 1)
  const ancestor = new Uint32Array(shared, 4 * (n + 1), n + 1)
  const label = new Uint32Array(n + 1)
  const dfnum = new Uint32Array(n)
  const vertex = new Uint32Array(n + 1)
  /** DFS parent, then the immediate dominator, in DFS numbers. */
  const idomDf = new Uint32Array(n + 1)
  let count = 0
  {
    // The DFS stack lives in `semi` (nodes) and `label` (edge cursors) before they are needed.
    const stackNode = semi
    const stackEdge = label
    let top = 0
    dfnum[root] = ++count
    vertex[count] = root
    stackNode[0] = root
    stackEdge[0] = firstEdge[root]!
    while (top >= 0) {
      const node = stackNode[top]!
      const e = stackEdge[top]!
      if (e >= firstEdge[node + 1]!) {
        top--
        continue
      }
      stackEdge[top] = e + 1
      if (!strong[e]) continue
      const target = snapshot.edgeTarget(e)
      if (dfnum[target] !== 0) continue
      dfnum[target] = ++count
      vertex[count] = target
      idomDf[count] = dfnum[node]!
      top++
      stackNode[top] = target
      stackEdge[top] = firstEdge[target]!
    }
  }
  for (let v = 1; v <= count; v++) {
    semi[v] = label[v] = v
    ancestor[v] = idomDf[v]!
  }

  // Vertices are handled in decreasing DFS number; those above the current one are linked into the
  // forest (to their DFS parent, `ancestor`), the others are not yet.
  let compressStack = new Uint32Array(1024)
  for (let w = count; w >= 2; w--) {
    const node = vertex[w]!
    let best = w
    for (let r = firstRetainer[node]!, end = firstRetainer[node + 1]!; r < end; r++) {
      const v = dfnum[retainer[r]!]!
      if (v === 0) continue
      let u = v
      if (v > w) {
        // eval(v): the vertex of smallest semidominator on v's forest path, compressing it.
        let depth = 0
        let at = v
        while (ancestor[at]! > w) {
          if (depth === compressStack.length) {
            const grown = new Uint32Array(depth * 2)
            grown.set(compressStack)
            compressStack = grown
          }
          compressStack[depth++] = at
          at = ancestor[at]!
        }
        while (depth > 0) {
          const x = compressStack[--depth]!
          const a = ancestor[x]!
          if (semi[label[a]!]! < semi[label[x]!]!) label[x] = label[a]!
          ancestor[x] = ancestor[a]!
        }
        u = label[v]!
      }
      if (semi[u]! < semi[best]!) best = u
    }
    semi[w] = semi[best]!
  }
  // The nearest common ancestor step: dominators of smaller numbers are final when w is reached.
  for (let w = 2; w <= count; w++) {
    let x = idomDf[w]!
    while (x > semi[w]!) x = idomDf[x]!
    idomDf[w] = x
  }

  const idom = label.subarray(0, n).fill(root)
  for (let w = 2; w <= count; w++) idom[vertex[w]!] = vertex[idomDf[w]!]!
  const retainedSize = new Float64Array(shared, 0, n)
  for (let node = 0; node < n; node++) retainedSize[node] = snapshot.selfSize(node)
  // A node's dominator has a smaller DFS number, so one pass in reverse DFS order sums subtrees.
  for (let w = count; w >= 2; w--) retainedSize[vertex[idomDf[w]!]!]! += retainedSize[vertex[w]!]!
  const result = { idom, retainedSize }
  results.set(snapshot, result)
  return result
}
