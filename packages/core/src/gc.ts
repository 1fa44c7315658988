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

/** One synchronous mark-compact. Costs about 1 ms per MB of live heap. */
function majorGc(): void {
  getGc()()
}

/** A full GC: two mark-compacts. */
export function fullGc(): void {
  majorGc()
  // A second pass collects what the first one only made unreachable (weak callbacks, finalizers
  // that dropped the last reference). With one pass, a baseline taken after a burst of work (the
  // test file's imports) reads hundreds of KB high and hides a leak that size in the next test.
  majorGc()
}

/**
 * Full GCs until live memory stops falling, at most `limit` of them; returns the last reading. What
 * died before may take several to go: V8 frees a disposed context (a previous Jest test file's
 * environment) over a few mark-compacts, and a re-run measured meanwhile would show the drop.
 */
export function settledLiveMemory(limit = 6, tolerance = 64 * 1024): number {
  fullGc()
  let live = heapAndExternal()
  for (let i = 1; i < limit; i++) {
    fullGc()
    const now = heapAndExternal()
    const fell = live - now
    live = now
    if (fell < tolerance) break
  }
  return live
}

/** A scavenge of the young generation: well under a millisecond, frees short-lived garbage only. */
export function minorGc(): void {
  getGc()({ type: 'minor' })
}

/**
 * Spaces that hold compiled code and bytecode. A test never leaks into them, but V8 fills them
 * whenever it optimises a hot function, which would read as a test's growth.
 */
const CODE_SPACES = /code|trusted|read_only/

/**
 * Used JS heap (data spaces only) plus memory held outside it by Buffers and ArrayBuffers. Read
 * from V8's counters directly: `process.memoryUsage()` also asks the OS for the RSS, 100× slower.
 */
export function heapAndExternal(): number {
  let used = v8.getHeapStatistics().external_memory
  for (const space of v8.getHeapSpaceStatistics())
    if (!CODE_SPACES.test(space.space_name)) used += space.space_used_size
  return used
}
