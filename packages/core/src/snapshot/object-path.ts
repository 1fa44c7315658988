import { describeNode, isInternal } from './describe-node.js'
import { dominators } from './dominators.js'
import { foldPath, type FoldedStep } from './fold.js'
import { freedWith } from './freed-with.js'
import type { HeapSnapshot } from './heap-snapshot.js'
import { pathFromRoot } from './paths.js'
import { retainers } from './retainers.js'

/** What holds one object, by its V8 id (`@12345` in DevTools): `leakproof inspect`, watched objects. */
export type ObjectPath =
  | {
      id: number
      /** From the GC root to the object, folded as in a leak report; the last step is the object. */
      path: FoldedStep[]
      /** Strong references from the GC root to the object, before folding. */
      distance: number
      /** Bytes, the object's own. */
      selfSize: number
      /** Bytes freed with it: everything only reachable through it. */
      retainedSize: number
    }
  | { id: number; missing: 'no such object' | 'only weakly held'; description?: string }

/**
 * For a context's global (a test file's, in a vm context of its own: the global proxy, what code in
 * it sees as `globalThis`): bytes freed with the whole context, which is what the file's environment
 * is (its globals, its module registry, every function made in it, and what they reference): what
 * is freed when the global and its native context both go. 0 for any other object. The context is
 * found as the native context whose `global_proxy_object` it is: Node 20's V8 also gives the proxy
 * an edge to its native context, Node 24's does not.
 *
 * Where one of the two dominates the other, that one's retained size says it: under Jest 30 a
 * file's native context dominates its global (global 104 B retained, context 15 MB); a context kept
 * only by its global (`vm.createContext` kept by what `runInContext('globalThis')` gave) is
 * dominated by it. But a file's global is held by a dozen objects besides its context (Jest's
 * globals, its fake timers, the environment, leakproof's detector): where one of those is also
 * reached from outside the context, neither dominates the other, each alone retains a fraction (a
 * held file of fixtures/environments once read no size at all), and the two are walked together.
 */
export function contextSize(s: HeapSnapshot, node: number): number {
  const context = nativeContextOf(s, node)
  if (context < 0) return 0
  const { retainedSize } = dominators(s)
  if (dominates(s, context, node)) return retainedSize[context]!
  if (dominates(s, node, context)) return retainedSize[node]!
  return freedWith(s, [node, context])
}

const NATIVE_CONTEXT = 'system / NativeContext'

/** The native context `node` is the global proxy of, or -1. */
function nativeContextOf(s: HeapSnapshot, node: number): number {
  const { first, node: holder } = retainers(s)
  for (let r = first[node]!; r < first[node + 1]!; r++) {
    const context = holder[r]!
    if (s.nodeName(context) !== NATIVE_CONTEXT) continue
    const edge = s.findEdge(context, 'global_proxy_object')
    if (edge >= 0 && s.edgeTarget(edge) === node) return context
  }
  return -1
}

function dominates(s: HeapSnapshot, above: number, node: number): boolean {
  const { idom } = dominators(s)
  for (let at = node; at !== s.rootNode; at = idom[at]!) if (idom[at] === above) return true
  return false
}

export function objectPath(s: HeapSnapshot, id: number): ObjectPath {
  const node = s.nodeOfId(id)
  if (node < 0) return { id, missing: 'no such object' }
  const hops = pathFromRoot(s, node)
  if (!hops) return { id, missing: 'only weakly held', description: describeNode(s, node) }
  const path = foldPath(s, hops)
  // foldPath steps over V8 internals; an internal object asked for by id is still the path's end.
  if (hops.length > 0 && isInternal(s, node))
    path.push({ edge: String(s.edgeName(hops[hops.length - 1]!.edge)), node: describeNode(s, node) })
  return {
    id,
    path,
    distance: hops.length,
    selfSize: s.selfSize(node),
    retainedSize: dominators(s).retainedSize[node]!,
  }
}
