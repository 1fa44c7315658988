import type { AllocationSite } from './findings.js'
import { originOf } from './origin.js'
import { mapFrames, ownerOf, toPath } from './stack.js'

/** A frame of the sampling heap profiler's allocation tree (see probes/allocations.ts). */
export interface CallFrame {
  functionName: string
  url: string
  /** 0-based, as the profiler gives them. */
  lineNumber: number
  columnNumber: number
}

/**
 * Where an allocation was made (root first in `path`): the innermost frame of the user's code or of
 * a dependency's, the user's frames mapped to the source they wrote (see origin.ts).
 */
export function siteOf(path: CallFrame[]): Omit<AllocationSite, 'bytes'> | undefined {
  const frames = mapFrames(
    path
      .filter((f) => f.url !== '')
      .reverse()
      .map((f) => ({
        file: f.url,
        line: f.lineNumber + 1,
        column: f.columnNumber + 1,
        functionName: f.functionName || '<anonymous>',
      })),
  )
  const origin = originOf(frames)
  if (!origin) return undefined
  const { at, dependency } = origin
  return {
    functionName: at.functionName,
    location: { file: at.file, line: at.line, column: at.column, functionName: at.functionName },
    ...(dependency && { dependency }),
  }
}

/**
 * An allocation leakproof made itself: the innermost frame that is the user's or leakproof's is
 * leakproof's (Node's internals, builtins like `map` or `WeakRef`, the framework and dependencies
 * are passed over: leakproof calls some, like the source-map decoder). Its bookkeeping of a window
 * (the stacks of the nodes and listeners it made, kept until the window is judged) is alive when
 * the window is judged, and is never what the test retained: counted, it made most tests of a
 * React suite memory suspects. What the test's code allocates, leakproof's re-run calling it or not,
 * has the test's frame below leakproof's.
 */
export function isOwnAllocation(path: readonly CallFrame[]): boolean {
  for (let i = path.length - 1; i >= 0; i--) {
    const { url } = path[i]!
    if (url === '') continue
    const owner = ownerOf(toPath(url))
    if (owner === 'leakproof') return true
    if (owner === 'user') return false
  }
  return false
}
