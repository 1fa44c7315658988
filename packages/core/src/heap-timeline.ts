/**
 * The heap of a worker over its test files: the commonest memory problem of a suite is a worker
 * whose heap grows file after file until it runs out. At each file's end the worker notes the live
 * heap right after the last full GC that ran while the file did (leakproof's own, or V8's: none is
 * forced for this) and its RSS; the reporter shows the timeline, and says when it grew.
 */
import { threadId } from 'node:worker_threads'
import v8 from 'node:v8'
import { relativeFile } from './format.js'
import { noteFileEnded, noteRunningFile, type WorkerDeath } from './report/worker-deaths.js'
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
  /** Set when the worker died while running a file (report/worker-deaths.ts): its timeline ends there. */
  died?: WorkerDeath
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

/**
 * When a test file begins: the GCs from here on are its own (the engine is the worker's: one
 * profiler serves all its files), and the file is noted as running, should the worker die in it.
 */
export function watchHeapFromHere(root: string, testFile: string, keepSnapshots: string | false): void {
  noteRunningFile(worker, root, relativeFile(testFile, root), keepSnapshots)
  profiler?.stop()
  profiler = new v8.GCProfiler()
  profiler.start()
}

/** At a test file's end: its point of the worker's timeline (the file named relative to `root`). */
export function heapAtFileEnd(root: string, testFile: string): HeapPoint {
  noteFileEnded()
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

/**
 * The points the workers sent, one entry per worker, each in the order it ran its files, ending with
 * its death when it died in a file (a worker that died in its first file has no points).
 */
export function byWorker(
  points: ReadonlyArray<{ worker: string; point: HeapPoint }>,
  deaths: ReadonlyArray<{ worker: string; death: WorkerDeath }> = [],
): WorkerHeap[] {
  const workers = new Map<string, HeapPoint[]>()
  for (const { worker, point } of points) {
    const files = workers.get(worker)
    if (files) files.push(point)
    else workers.set(worker, [point])
  }
  for (const { worker } of deaths) if (!workers.has(worker)) workers.set(worker, [])
  return [...workers].map(([worker, files]) => {
    const died = deaths.find((d) => d.worker === worker)?.death
    return { worker, files: files.sort((a, b) => a.at - b.at), ...(died && { died }) }
  })
}

/**
 * One line per worker whose live heap after GC grew by more than `notice` over its files:
 * `worker 4312: live heap 32 MB → 104 MB over 18 files (tests/a.test.ts → tests/z.test.ts)`, and the
 * first of its files whose environment stayed alive (`stayedAlive`, files relative to the root),
 * the likely start of the growth.
 */
export function heapGrowthLines(
  workers: readonly WorkerHeap[],
  notice = HEAP_GROWTH_NOTICE,
  stayedAlive: ReadonlySet<string> = new Set(),
): string[] {
  return workers.flatMap(({ worker, files }) => {
    const { first, last } = measuredEnds(files)
    if (!first || !last || last.liveAfterGc! - first.liveAfterGc! <= notice) return []
    const alive = files.find((f) => stayedAlive.has(f.file))
    return [
      `worker ${worker}: live heap ${formatBytes(first.liveAfterGc!)} → ${formatBytes(last.liveAfterGc!)} over ${files.length} files (${first.file} → ${last.file}); RSS ${formatBytes(last.rss)} at the end${alive ? `; the first file that stayed alive: ${alive.file}` : ''}`,
    ]
  })
}

/** What the report says of a worker that died in a file: a headline, and the lines under it. */
export interface WorkerDeathLines {
  headline: string
  details: string[]
}

/** The first and the last of `files` whose live heap after GC was measured. */
function measuredEnds(files: readonly HeapPoint[]): { first?: HeapPoint; last?: HeapPoint } {
  const measured = files.filter((f) => f.liveAfterGc !== undefined)
  return { first: measured[0], last: measured.at(-1) }
}

/**
 * For each worker that died in a file: which file, Node's reason, the heap against its limit
 * (`worker 4312 ran out of memory running tests/b.test.ts (heap 100 MB of a 144 MB limit)`), then
 * the live heap over the files it finished before, and the snapshot V8 wrote near the limit.
 */
export function workerDeathLines(workers: readonly WorkerHeap[]): WorkerDeathLines[] {
  return workers.flatMap(({ worker, files, died }) => {
    if (!died) return []
    const heap =
      died.heapUsed === undefined
        ? `a ${formatBytes(died.heapLimit)} heap limit`
        : `heap ${formatBytes(died.heapUsed)} of a ${formatBytes(died.heapLimit)} limit`
    const headline = /out of memory/i.test(died.reason)
      ? `worker ${worker} ran out of memory running ${died.file} (${heap})`
      : `worker ${worker} died running ${died.file}: ${died.reason} (${heap})`
    const details: string[] = []
    const { first, last } = measuredEnds(files)
    const count = `${files.length} ${files.length === 1 ? 'file' : 'files'}`
    if (first && last)
      details.push(
        `before it, ${count}: live heap after GC ${first === last ? '' : `${formatBytes(first.liveAfterGc!)} (${first.file}) → `}${formatBytes(last.liveAfterGc!)} (${last.file}), RSS ${formatBytes(files.at(-1)!.rss)}`,
      )
    else if (files.length > 0) details.push(`before it, ${count} (no full GC ran in them)`)
    else details.push('it was the first file of this worker')
    if (died.snapshot) details.push(`heap snapshot near the heap limit: ${died.snapshot}`)
    return [{ headline, details }]
  })
}
