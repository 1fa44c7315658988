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
  /** Growth of external memory (Buffers, ArrayBuffers) between the ends. */
  externalGrowth: number
}

const MINOR_GC_TYPES = new Set(['Scavenge', 'MinorMarkSweep', 'MinorMarkCompact'])

export function endHeapWindow(window: HeapWindow): HeapWindowResult {
  minorGc()
  const end = heapAndExternal()
  const stats = window.profiler.stop() as { statistics?: Array<{ gcType: string }> } | undefined
  const majorRan = (stats?.statistics ?? []).some((s) => !MINOR_GC_TYPES.has(s.gcType))
  return { growthBound: majorRan ? undefined : end - window.start, externalGrowth: v8.getHeapStatistics().external_memory - window.startExternal }
}

export function stopHeapWindow(window: HeapWindow): void {
  window.profiler.stop()
}
