import type { HeapSnapshot } from './heap-snapshot.js'
import { retainingEdges } from './retaining-edges.js'

/** One hop of a path: the edge taken and the node it reaches. */
export interface PathHop {
  edge: number
  node: number
}

export interface ShortestPaths {
  /** Hops from the root over retaining edges; 0xffffffff where unreachable. */
  distance: Uint32Array
  /** The edge each node was first reached by (breadth-first); meaningless where unreachable. */
  via: Uint32Array
}

const UNREACHABLE = 0xffffffff

const results = new WeakMap<HeapSnapshot, ShortestPaths>()

/** `part of key (Object @123) -> value (Object @125) pair in WeakMap (table @77)`, after `4 / ` on newer V8s. */
const WEAKMAP_ENTRY = /^(?:\d+ \/ )?part of key \(.* @(\d+)\) -> value \(.* pair in WeakMap \(table @(\d+)\)$/

/**
 * For each WeakMap entry's key-to-value edge, the WeakMap table node (-1 for any other edge), with
 * no id lookup over the whole snapshot: V8 writes each entry's edge twice, from the key and from the
 * table, so the tables are the sources of the copies whose key id is not their own (the copies
 * retaining-edges.ts marks as not retaining: only those few edges are read here).
 */
function weakMapTables(s: HeapSnapshot, strong: Uint8Array): (e: number) => number {
  const internal = s.edgeTypes.indexOf('internal')
  const tableById = new Map<number, number>()
  const { firstEdge } = s
  for (let from = 0; from < s.nodeCount; from++)
    for (let e = firstEdge[from]!, end = firstEdge[from + 1]!; e < end; e++) {
      if (strong[e] || s.edgeTypeIndex(e) !== internal || !s.edgeNameIncludes(e, 'part of key')) continue
      const entry = WEAKMAP_ENTRY.exec(String(s.edgeName(e)))
      if (entry && Number(entry[1]) !== s.nodeId(from)) tableById.set(Number(entry[2]), from)
    }
  return (e) => {
    if (tableById.size === 0 || s.edgeTypeIndex(e) !== internal || !s.edgeNameIncludes(e, 'part of key')) return -1
    const entry = WEAKMAP_ENTRY.exec(String(s.edgeName(e)))
    return entry ? (tableById.get(Number(entry[2])) ?? -1) : -1
  }
}

/**
 * Roots that hold things only while some code runs (the stack, open handle scopes): a path through
 * them says "the code that was running then", not what keeps a leak alive between tests.
 */
const TRANSIENT_ROOTS = new Set(['(Stack roots)', '(Handle scope)'])

/**
 * `(Strong roots) -40 / IdentityMapBase→ Map`: the handles an optimizing compile job holds on the
 * objects it embeds, for as long as the job runs. Seen on a busy machine: TurboFan compiling the
 * fixture's `remember` while the snapshot was taken made its module Map look held by the compiler.
 */
const COMPILER_HANDLES = ' / IdentityMapBase'

function isTransientRootEdge(s: HeapSnapshot, from: number, e: number, target: number, synthetic: number): boolean {
  if (s.nodeTypeIndex(target) === synthetic) return TRANSIENT_ROOTS.has(s.nodeName(target))
  // Synthetic roots such as `(Internalized strings)` have an edge per string: names read as bytes.
  return s.nodeTypeIndex(from) === synthetic && s.edgeNameIncludes(e, COMPILER_HANDLES)
}

/**
 * Breadth-first search from the root over retaining edges (weak edges, WeakMap table copies and
 * non-root shortcuts excluded, see retaining-edges.ts): the shortest strong path to every node at
 * once, in two typed arrays. Durable roots first: what is reachable without the transient roots
 * gets its path from them, even when a path through the stack is shorter. Memoised per snapshot.
 */
export function shortestPaths(s: HeapSnapshot): ShortestPaths {
  const cached = results.get(s)
  if (cached) return cached
  const strong = retainingEdges(s)
  const distance = new Uint32Array(s.nodeCount).fill(UNREACHABLE)
  const via = new Uint32Array(s.nodeCount)
  const queue = new Uint32Array(s.nodeCount)
  const { firstEdge } = s
  const synthetic = s.nodeTypes.indexOf('synthetic')
  let head = 0
  let tail = 0
  // A WeakMap's value is alive only while both its key and its WeakMap are: a key reached first
  // waits for the table (V8's ephemeron rule), or every WeakMap keyed by a long-lived object (a
  // core module, a class) would look like what holds its values.
  const waitingForTable = new Map<number, number[]>()
  /** 1 for a table in `waitingForTable`: a byte read per node reached, not a Map lookup. */
  const waited = new Uint8Array(s.nodeCount)
  const internal = s.edgeTypes.indexOf('internal')
  const reach = (target: number, e: number, d: number): void => {
    distance[target] = d
    via[target] = e
    queue[tail++] = target
    const waiting = waited[target] ? waitingForTable.get(target) : undefined
    if (waiting) {
      // The table came last: the values go by its own edges to them, the path the WeakMap is on.
      waitingForTable.delete(target)
      for (const edge of waiting) {
        const value = s.edgeTarget(edge)
        if (distance[value] === UNREACHABLE) reach(value, edgeTo(target, value) ?? edge, d + 1)
      }
    }
  }
  const edgeTo = (from: number, to: number): number | undefined => {
    for (let e = firstEdge[from]!; e < firstEdge[from + 1]!; e++) if (s.edgeTarget(e) === to) return e
    return undefined
  }
  const weakMapTableOf = weakMapTables(s, strong)
  const tableNotReached = (e: number): boolean => {
    const table = weakMapTableOf(e)
    if (table < 0 || distance[table] !== UNREACHABLE) return false
    const waiting = waitingForTable.get(table)
    if (waiting) waiting.push(e)
    else waitingForTable.set(table, [e])
    waited[table] = 1
    return true
  }
  distance[s.rootNode] = 0
  queue[tail++] = s.rootNode
  let deferred: Array<[edge: number, distance: number]> | undefined = []
  for (;;) {
    while (head < tail) {
      const node = queue[head++]!
      const next = distance[node]! + 1
      for (let e = firstEdge[node]!, end = firstEdge[node + 1]!; e < end; e++) {
        if (!strong[e]) continue
        const target = s.edgeTarget(e)
        if (distance[target] !== UNREACHABLE || (s.edgeTypeIndex(e) === internal && tableNotReached(e))) continue
        if (deferred && isTransientRootEdge(s, node, e, target, synthetic)) deferred.push([e, next])
        else reach(target, e, next)
      }
    }
    if (!deferred) break
    // Then the transient roots, for what only they hold.
    for (const [e, d] of deferred) {
      const target = s.edgeTarget(e)
      if (distance[target] === UNREACHABLE) reach(target, e, d)
    }
    deferred = undefined
  }
  const result = { distance, via }
  results.set(s, result)
  return result
}

/** The shortest retaining path from the root to `node` (root excluded), or undefined when none. */
export function pathFromRoot(s: HeapSnapshot, node: number): PathHop[] | undefined {
  const { distance, via } = shortestPaths(s)
  if (distance[node] === UNREACHABLE) return undefined
  const hops: PathHop[] = []
  for (let at = node; at !== s.rootNode; at = s.edgeSource(via[at]!)) hops.push({ edge: via[at]!, node: at })
  return hops.reverse()
}

/**
 * The shortest cycle of retaining edges through `start` that stays inside `within` (the new
 * objects of a diff): the hops from `start` back to `start`, or undefined when it is on no cycle.
 * A cycle is not a leak by itself (mark-and-sweep collects cycles), but a retained one means
 * breaking any single reference in it frees the whole ring.
 */
export function cycleThrough(s: HeapSnapshot, start: number, within: Uint8Array): PathHop[] | undefined {
  const strong = retainingEdges(s)
  const reachedBy = new Map<number, number>()
  let frontier = [start]
  while (frontier.length > 0) {
    const next: number[] = []
    for (const node of frontier) {
      for (let e = s.firstEdge[node]!; e < s.firstEdge[node + 1]!; e++) {
        if (!strong[e]) continue
        const target = s.edgeTarget(e)
        if (target === start) {
          const hops: PathHop[] = [{ edge: e, node: start }]
          for (let at = node; at !== start; at = s.edgeSource(reachedBy.get(at)!))
            hops.push({ edge: reachedBy.get(at)!, node: at })
          return hops.reverse()
        }
        if (!within[target] || reachedBy.has(target)) continue
        reachedBy.set(target, e)
        next.push(target)
      }
    }
    frontier = next
  }
  return undefined
}
