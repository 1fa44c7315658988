/**
 * The heap of a worker over its test files: the commonest memory problem of a suite is a worker
 * whose heap grows file after file until it runs out. At each file's end the worker notes the live
 * heap right after the last full GC that ran while the file did (leakproof's own, or V8's: none is
 * forced for this) and its RSS; the reporter shows the timeline, and says when it grew.
 */
import { threadId } from 'node:worker_threads'
import v8 from 'node:v8'
import { relativeFile } from './format.js'
import { formatBytes } from './size.js'

export interface HeapPoint {
  /** The test file, relative to the project root. */
  file: string
  /** Bytes of live heap right after the last full GC while the file ran; absent when none ran. */
  liveAfterGc?: number
  /** The process's resident set size at the file's end, bytes. */
  rss: number
  /** When the file ended: seconds since the worker started. */
  at: number
}

export interface WorkerHeap {
  /** The process id, and the thread's for a worker thread (Vitest's `threads` pools): `4312` or `4312/2`. */
  worker: string
  /** In the order the worker ran them. */
  files: HeapPoint[]
}

/** Full GCs in V8's GC profiler's words. */
const FULL_GC = 'MarkSweepCompact'

interface GcStatistics {
  gcType: string
  afterGC?: { heapStatistics?: { usedHeapSize?: number } }
}

/** This worker's name in the report. */
export const worker = threadId ? `${process.pid}/${threadId}` : String(process.pid)

let profiler: v8.GCProfiler | undefined

/** When a test file begins: the GCs from here on are its own (the engine is the worker's: one profiler serves all its files). */
export function watchHeapFromHere(): void {
  profiler?.stop()
  profiler = new v8.GCProfiler()
  profiler.start()
}

/** At a test file's end: its point of the worker's timeline (the file named relative to `root`). */
export function heapAtFileEnd(root: string, testFile: string): HeapPoint {
  const file = relativeFile(testFile, root)
  const stats = (profiler?.stop() as { statistics?: GcStatistics[] } | undefined)?.statistics ?? []
  profiler = undefined
  const full = stats.filter((s) => s.gcType === FULL_GC).at(-1)
  const liveAfterGc = full?.afterGC?.heapStatistics?.usedHeapSize
  return {
    file,
    ...(liveAfterGc !== undefined && { liveAfterGc }),
    rss: process.memoryUsage.rss(),
    at: Math.round(process.uptime() * 1000) / 1000,
  }
}

/**
 * A worker's live heap grew by more than this from its first measured file to its last: worth a
 * line in the terminal. Below it, a worker warming up (modules loaded once, caches filled) is not news.
 */
export const HEAP_GROWTH_NOTICE = 64 * 1024 * 1024

/** The points the workers sent, one entry per worker, each in the order it ran its files. */
export function byWorker(points: ReadonlyArray<{ worker: string; point: HeapPoint }>): WorkerHeap[] {
  const workers = new Map<string, HeapPoint[]>()
  for (const { worker, point } of points) {
    const files = workers.get(worker)
    if (files) files.push(point)
    else workers.set(worker, [point])
  }
  return [...workers].map(([worker, files]) => ({ worker, files: files.sort((a, b) => a.at - b.at) }))
}

/**
 * One line per worker whose live heap after GC grew by more than `notice` over its files:
 * `worker 4312: live heap 32 MB → 104 MB over 18 files (tests/a.test.ts → tests/z.test.ts)`.
 */
export function heapGrowthLines(workers: readonly WorkerHeap[], notice = HEAP_GROWTH_NOTICE): string[] {
  return workers.flatMap(({ worker, files }) => {
    const measured = files.filter((f) => f.liveAfterGc !== undefined)
    const first = measured[0]
    const last = measured.at(-1)
    if (!first || !last || last.liveAfterGc! - first.liveAfterGc! <= notice) return []
    return [
      `worker ${worker}: live heap ${formatBytes(first.liveAfterGc!)} → ${formatBytes(last.liveAfterGc!)} over ${files.length} files (${first.file} → ${last.file}); RSS ${formatBytes(last.rss)} at the end`,
    ]
  })
}
