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
 *
 * Two more are the host's, whoever's code is below them (see `isHostBookkeeping`).
 */
export function isToolAllocation(path: readonly CallFrame[]): boolean {
  if (path.some(isHostBookkeeping)) return true
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

/**
 * A frame under which the host allocates for itself, even with the test's code below it: the test
 * framework formatting an error's stack (Vite's module runner decodes a module's source map on the
 * first stack through it and keeps it: an h3 test whose handler made an error response kept 200 KB
 * of decoded mappings on its first run), and Node's `fetch` making the connection pool of an origin
 * (undici's Agent, per origin it was asked for: 16 KB of request queue in each, for good on Node
 * 20, see probes/fetch-pools.ts).
 */
function isHostBookkeeping({ functionName, url }: CallFrame): boolean {
  if (functionName === 'prepareStackTrace') return url !== '' && ownerOf(toPath(url)) === 'framework'
  return functionName === 'defaultFactory' && UNDICI.test(url)
}

/** Node's bundled undici, or the package. */
const UNDICI = /^node:internal\/deps\/undici\/|[\\/]node_modules[\\/]undici[\\/]/
