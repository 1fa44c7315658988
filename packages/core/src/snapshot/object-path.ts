import { describeNode, isInternal } from './describe-node.js'
import { dominators } from './dominators.js'
import { foldPath, type FoldedStep } from './fold.js'
import type { HeapSnapshot } from './heap-snapshot.js'
import { pathFromRoot } from './paths.js'

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
 * For a context's global object (a test file's, in a vm context of its own): bytes freed with the
 * whole context, which is what the file's environment is (its globals, its module registry, every
 * function made in it, and what they reference). 0 for any other object. Which of the two holds the
 * other depends on who else does: under Jest 30 a file's native context is reached from V8's roots
 * too and dominates its global (global 104 B retained, context 15 MB); a context kept only by its
 * global (`vm.createContext` kept by what `runInContext('globalThis')` gave) is dominated by it.
 */
export function contextSize(s: HeapSnapshot, node: number): number {
  const { idom, retainedSize } = dominators(s)
  const above = idom[node]!
  if (s.nodeName(above) === NATIVE_CONTEXT) return retainedSize[above]!
  return nativeContexts(s).some((c) => idom[c] === node) ? retainedSize[node]! : 0
}

const NATIVE_CONTEXT = 'system / NativeContext'
const contexts = new WeakMap<HeapSnapshot, number[]>()

function nativeContexts(s: HeapSnapshot): number[] {
  let found = contexts.get(s)
  if (!found) {
    found = []
    for (let n = 0; n < s.nodeCount; n++) if (s.nodeName(n) === NATIVE_CONTEXT) found.push(n)
    contexts.set(s, found)
  }
  return found
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
