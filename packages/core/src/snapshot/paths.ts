import type { HeapSnapshot } from './heap-snapshot.js'
import { retainingEdges, weakMapTableCopies } from './retaining-edges.js'

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
function weakMapTables(s: HeapSnapshot): (e: number) => number {
  const tableById = new Map<number, number>()
  const copies = weakMapTableCopies(s)
  for (let i = 0; i < copies.length; i += 2) {
    const entry = WEAKMAP_ENTRY.exec(String(s.edgeName(copies[i + 1]!)))
    if (entry) tableById.set(Number(entry[2]), copies[i]!)
  }
  const internal = s.edgeTypes.indexOf('internal')
  const entryName = s.edgeNameMatcher('part of key')
  return (e) => {
    if (tableById.size === 0 || s.edgeTypeIndex(e) !== internal || !entryName(e)) return -1
    const entry = WEAKMAP_ENTRY.exec(String(s.edgeName(e)))
    return entry ? (tableById.get(Number(entry[2])) ?? -1) : -1
  }
}

/**
 * Roots that hold things only while some code runs (the stack, open handle scopes): a path through
 * them says "the code that was running then", not what keeps a leak alive between tests.
 */
const TRANSIENT_ROOTS = ['(Stack roots)', '(Handle scope)']

/**
 * `(Strong roots) -40 / IdentityMapBase→ Map`: the handles an optimizing compile job holds on the
 * objects it embeds, for as long as the job runs. Seen on a busy machine: TurboFan compiling the
 * fixture's `remember` while the snapshot was taken made its module Map look held by the compiler.
 */
const COMPILER_HANDLES = ' / IdentityMapBase'

function isTransientRootEdge(s: HeapSnapshot, from: number, e: number, target: number, synthetic: number): boolean {
  if (s.nodeTypeIndex(target) === synthetic) return TRANSIENT_ROOTS.includes(s.nodeName(target))
  // Synthetic roots such as `(Internalized strings)` have an edge per string: names read as bytes.
  return s.nodeTypeIndex(from) === synthetic && s.edgeNameIncludes(e, COMPILER_HANDLES)
}

/**
 * A breadth-first search over typed arrays, and where it stands between two calls of {@link spread}.
 * `head`, `tail`, `node` and `edge` are read into locals on entry and written back on return.
 */
interface Search {
  firstEdge: Uint32Array
  edgeTargets: Uint32Array
  edgeTypeIndexes: Uint8Array
  edgeNamesOrIndexes: Uint32Array
  nodeTypeIndexes: Uint8Array
  nodeNameIndexes: Uint32Array
  strong: Uint8Array
  distance: Uint32Array
  via: Uint32Array
  queue: Uint32Array
  /** 1 for a WeakMap table that entries wait for. */
  waited: Uint8Array
  /** Per string: 1 for WeakMap entries' edge names, for transient roots' names, for compiler handles' edge names. */
  entryName: Uint8Array
  transientRootName: Uint8Array
  compilerHandleName: Uint8Array
  internal: number
  synthetic: number
  /** Whether edges of transient roots are still put off (the first pass). */
  deferring: boolean
  head: number
  tail: number
  /** The node whose edges are being read, and the next of them. */
  node: number
  edge: number
}

/**
 * Reaches on from where `search` stands until the queue is empty (-1) or an edge needs a decision
 * of its own (returned, with the search standing after it): an edge to a node a WeakMap entry
 * waits for, a WeakMap entry's edge, or (while deferring) one that may be a transient root's. The
 * loop reads typed arrays only and calls nothing: run once per snapshot, most of it runs before
 * TurboFan has compiled it, and calls into closures made that compile take 16 ms and then
 * deoptimize at the first call the interpreter had not seen.
 */
function spread(search: Search): number {
  const { firstEdge, edgeTargets, edgeTypeIndexes, edgeNamesOrIndexes, nodeTypeIndexes, nodeNameIndexes } = search
  const { strong, distance, via, queue, waited, entryName, transientRootName, compilerHandleName } = search
  const { internal, synthetic, deferring } = search
  let { head, tail, node, edge: e } = search
  let end = firstEdge[node + 1]!
  let next = distance[node]! + 1
  let fromSynthetic = nodeTypeIndexes[node] === synthetic
  for (;;) {
    if (e >= end) {
      if (head === tail) break
      node = queue[head++]!
      e = firstEdge[node]!
      end = firstEdge[node + 1]!
      next = distance[node]! + 1
      fromSynthetic = nodeTypeIndexes[node] === synthetic
      continue
    }
    const edge = e++
    if (!strong[edge]) continue
    const target = edgeTargets[edge]!
    if (distance[target] !== UNREACHABLE) continue
    if (
      waited[target] ||
      (edgeTypeIndexes[edge] === internal && entryName[edgeNamesOrIndexes[edge]!]) ||
      (deferring &&
        ((fromSynthetic && compilerHandleName[edgeNamesOrIndexes[edge]!]) ||
          (nodeTypeIndexes[target] === synthetic && transientRootName[nodeNameIndexes[target]!])))
    ) {
      Object.assign(search, { head, tail, node, edge: e })
      return edge
    }
    distance[target] = next
    via[target] = edge
    queue[tail++] = target
  }
  Object.assign(search, { head, tail, node, edge: e })
  return -1
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
  const { firstEdge, edgeTargets, edgeTypeIndexes, nodeCount, rootNode } = s
  const transientRootName = new Uint8Array(s.strings.count)
  for (const name of TRANSIENT_ROOTS) {
    const at = s.strings.find(name)
    if (at >= 0) transientRootName[at] = 1
  }
  const search: Search = {
    firstEdge,
    edgeTargets,
    edgeTypeIndexes,
    edgeNamesOrIndexes: s.edgeNamesOrIndexes,
    nodeTypeIndexes: s.nodeTypeIndexes,
    nodeNameIndexes: s.nodeNameIndexes,
    strong,
    distance: new Uint32Array(nodeCount).fill(UNREACHABLE),
    via: new Uint32Array(nodeCount),
    queue: new Uint32Array(nodeCount),
    waited: new Uint8Array(nodeCount),
    entryName: s.stringsContaining('part of key'),
    transientRootName,
    compilerHandleName: s.stringsContaining(COMPILER_HANDLES),
    internal: s.edgeTypes.indexOf('internal'),
    synthetic: s.nodeTypes.indexOf('synthetic'),
    deferring: true,
    head: 1,
    tail: 1,
    node: rootNode,
    edge: firstEdge[rootNode]!,
  }
  const { distance, via, queue, waited, internal, synthetic } = search
  distance[rootNode] = 0
  queue[0] = rootNode
  // A WeakMap's value is alive only while both its key and its WeakMap are: a key reached first
  // waits for the table (V8's ephemeron rule), or every WeakMap keyed by a long-lived object (a
  // core module, a class) would look like what holds its values.
  const waitingForTable = new Map<number, number[]>()
  const edgeTo = (from: number, to: number): number | undefined => {
    for (let e = firstEdge[from]!; e < firstEdge[from + 1]!; e++) if (edgeTargets[e] === to) return e
    return undefined
  }
  const reach = (target: number, e: number, d: number): void => {
    distance[target] = d
    via[target] = e
    queue[search.tail++] = target
    const waiting = waited[target] ? waitingForTable.get(target) : undefined
    if (!waiting) return
    // The table came last: the values go by its own edges to them, the path the WeakMap is on.
    waitingForTable.delete(target)
    for (const edge of waiting) {
      const value = edgeTargets[edge]!
      if (distance[value] === UNREACHABLE) reach(value, edgeTo(target, value) ?? edge, d + 1)
    }
  }
  const weakMapTableOf = weakMapTables(s)
  const tableNotReached = (e: number): boolean => {
    const table = weakMapTableOf(e)
    if (table < 0 || distance[table] !== UNREACHABLE) return false
    const waiting = waitingForTable.get(table)
    if (waiting) waiting.push(e)
    else waitingForTable.set(table, [e])
    waited[table] = 1
    return true
  }
  const deferred: Array<[edge: number, distance: number]> = []
  for (;;) {
    const e = spread(search)
    if (e >= 0) {
      const target = edgeTargets[e]!
      const next = distance[search.node]! + 1
      if (edgeTypeIndexes[e] === internal && tableNotReached(e)) continue
      if (search.deferring && isTransientRootEdge(s, search.node, e, target, synthetic)) deferred.push([e, next])
      else reach(target, e, next)
      continue
    }
    if (!search.deferring) break
    // Then the transient roots, for what only they hold.
    search.deferring = false
    for (const [e, d] of deferred) {
      const target = edgeTargets[e]!
      if (distance[target] === UNREACHABLE) reach(target, e, d)
    }
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
