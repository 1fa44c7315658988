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
