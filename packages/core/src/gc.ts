import v8 from 'node:v8'
import vm from 'node:vm'

type GcFunction = (options?: { type?: 'major' | 'minor'; execution?: 'sync' | 'async' }) => void

let gcFunction: GcFunction | undefined

/**
 * A real `gc()` without asking the user for `--expose-gc`: V8 flags are process-wide, and a new
 * context created after setting the flag gets the `gc` global. Works in worker threads, where
 * `--expose-gc` in execArgv is refused.
 */
function getGc(): GcFunction {
  if (gcFunction) return gcFunction
  const existing = (globalThis as { gc?: GcFunction }).gc
  if (typeof existing === 'function') return (gcFunction = existing)
  v8.setFlagsFromString('--expose-gc')
  gcFunction = vm.runInNewContext('gc') as GcFunction
  return gcFunction
}

/** A full, synchronous mark-compact. Costs about 1 ms per MB of live heap. */
export function fullGc(): void {
  const gc = getGc()
  gc()
  // A second pass collects what the first one only made unreachable (weak callbacks, finalizers
  // that dropped the last reference), so two measurements in a row agree.
  gc()
}

/** A scavenge of the young generation: well under a millisecond, frees short-lived garbage only. */
export function minorGc(): void {
  getGc()({ type: 'minor' })
}

/** Live JS heap plus memory held outside it by Buffers and ArrayBuffers. */
export function heapAndExternal(): number {
  const m = process.memoryUsage()
  return m.heapUsed + m.external
}
