import v8 from 'node:v8'
import { heapAndExternal, minorGc } from '../gc.js'

/**
 * The cheap retained-memory check every window gets. After a scavenge at both ends, the growth of
 * used heap + external memory is an upper bound of what the window allocated and still holds:
 * everything it retains is counted, and old-generation garbage can only add to the growth, never
 * hide it — unless a major GC ran inside the window and freed older garbage. V8's GC profiler
 * tells us whether one did, so only then (or when the bound exceeds the budget) do we pay for a
 * full GC.
 */
export interface HeapWindow {
  profiler: v8.GCProfiler
  start: number
  startExternal: number
}

export function startHeapWindow(): HeapWindow {
  minorGc()
  const profiler = new v8.GCProfiler()
  profiler.start()
  return { profiler, start: heapAndExternal(), startExternal: v8.getHeapStatistics().external_memory }
}

export interface HeapWindowResult {
  /** Upper bound of bytes the window allocated and still holds, when no major GC ran inside it. */
  growthBound: number | undefined
  /** External memory (Buffers, ArrayBuffers) allocated between the ends, at most: growth plus what GCs inside freed. */
  externalGrowth: number
}

const MINOR_GC_TYPES = new Set(['Scavenge', 'MinorMarkSweep', 'MinorMarkCompact'])

interface GcStatistics {
  gcType: string
  beforeGC?: { heapStatistics?: { externalMemory?: number } }
  afterGC?: { heapStatistics?: { externalMemory?: number } }
}

export function endHeapWindow(window: HeapWindow): HeapWindowResult {
  minorGc()
  const end = heapAndExternal()
  const stats = window.profiler.stop() as { statistics?: GcStatistics[] } | undefined
  const gcs = stats?.statistics ?? []
  const majorRan = gcs.some((s) => !MINOR_GC_TYPES.has(s.gcType))
  // What GCs inside the window freed of external memory is added back: the growth is then an upper
  // bound of what the window allocated there, which other memory dying meanwhile (the previous test
  // file's Buffers, under Jest's --runInBand) cannot hide.
  const freed = gcs.reduce(
    (n, s) =>
      n +
      Math.max(0, (s.beforeGC?.heapStatistics?.externalMemory ?? 0) - (s.afterGC?.heapStatistics?.externalMemory ?? 0)),
    0,
  )
  return {
    growthBound: majorRan ? undefined : end - window.start,
    externalGrowth: v8.getHeapStatistics().external_memory - window.startExternal + freed,
  }
}

export function stopHeapWindow(window: HeapWindow): void {
  window.profiler.stop()
}
