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
 * An allocation the tools made, not the test. leakproof's: the innermost frame that is the user's
 * or leakproof's is leakproof's (Node's internals, builtins like `map` or `WeakRef`, the framework
 * and dependencies are passed over: leakproof calls some, like a source-map decoder). The
 * framework's: no frame of the user's is on the stack at all, and one of the framework's is (its
 * reporter's first use of a string-width library). leakproof's bookkeeping of a window (the stacks
 * of the nodes and listeners it made, kept until the window is judged) is alive when the window is
 * judged, and the framework's first use of a helper lands in whatever run comes first: neither is
 * what the test retained. Counted, leakproof's made most tests of a React suite memory suspects.
 * What the test's code allocates, or makes a spy record, has the test's frame on the stack.
 */
export function isToolAllocation(path: readonly CallFrame[]): boolean {
  let framework = false
  for (let i = path.length - 1; i >= 0; i--) {
    const { url } = path[i]!
    if (url === '') continue
    const owner = ownerOf(toPath(url))
    if (owner === 'leakproof') return true
    if (owner === 'user') return false
    if (owner === 'framework') framework = true
  }
  return framework
}
