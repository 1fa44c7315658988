/**
 * A worker that dies while it runs a test file (most often out of memory: the suite's heap grew file
 * after file) takes that file's results with it, and Vitest does not even say which file it was.
 * At each file's start the worker leaves a note in the run's checking folder (interrupted.ts) naming
 * the file; the note goes at the file's end. A worker process also has Node write its diagnostic
 * report there on a fatal error (the reason, "JavaScript heap out of memory", and the heap's use and
 * limit at that moment), and, with `keepSnapshots`, has V8 write a heap snapshot when the heap nears
 * its limit. At the run's end the reporter turns the notes still there into the last entry of each
 * dead worker's heap timeline (heap-timeline.ts), and moves the snapshot to the kept ones.
 */
import { copyFileSync, existsSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { isMainThread, threadId } from 'node:worker_threads'
import v8 from 'node:v8'
import { keptSnapshotFile } from '../explain-findings.js'
import { CHECKING_DIR_VARIABLE, isReporterThread } from './interrupted.js'

/** How a worker ended while it ran a file, as the report tells it. */
export interface WorkerDeath {
  /** The test file it was running, relative to the project root. */
  file: string
  /**
   * Node's words for the fatal error, from the diagnostic report it wrote as the process died:
   * "Allocation failed - JavaScript heap out of memory", or {@link REPORT_CUT_SHORT}; or, where Node
   * had no time to begin one, the framework's: "Jest worker ran out of memory and crashed".
   */
  reason: string
  /** Bytes of heap in use when it died (from the diagnostic report). */
  heapUsed?: number
  /** The worker's heap limit, bytes (V8's `heap_size_limit`). */
  heapLimit: number
  /** With `keepSnapshots`: the heap snapshot V8 wrote near the heap limit. */
  snapshot?: string
}

interface RunningNote {
  /** The worker's name in the report (heap-timeline.ts, `worker`). */
  worker: string
  pid: number
  threadId: number
  file: string
  heapLimit: number
  /** Where V8 writes a snapshot near the heap limit (the process's working folder), and where it is to be kept. */
  cwd: string
  keep?: { root: string; dir: string }
}

function runningNotePath(dir: string): string {
  return join(dir, `${process.pid}-${threadId}.running.json`)
}

let askedForReports = false

/**
 * At a test file's start, in the worker: notes the file, and once per process asks Node for a
 * diagnostic report on a fatal error (and V8 for a snapshot near the heap limit, with `keepSnapshots`).
 * A user's own report settings win: nothing is changed where a report directory or fatal-error
 * reports were set already.
 */
export function noteRunningFile(worker: string, root: string, file: string, keepSnapshots: string | false): void {
  const dir = process.env[CHECKING_DIR_VARIABLE]
  // A worker thread's death is not the process's fatal error (Node ends the thread), and Jest in
  // band runs the files in the reporter's process: nothing would be left to read these.
  if (!dir || !isMainThread || isReporterThread()) return
  if (!askedForReports) {
    askedForReports = true
    if (!process.report.reportOnFatalError && !process.report.directory) {
      process.report.directory = dir
      process.report.reportOnFatalError = true
    }
    if (keepSnapshots) v8.setHeapSnapshotNearHeapLimit(1)
  }
  const note: RunningNote = {
    worker,
    pid: process.pid,
    threadId,
    file,
    heapLimit: v8.getHeapStatistics().heap_size_limit,
    cwd: process.cwd(),
    ...(keepSnapshots && { keep: { root, dir: keepSnapshots } }),
  }
  try {
    writeFileSync(runningNotePath(dir), JSON.stringify(note))
  } catch {
    // The note is a courtesy for a crash; the file runs without it.
  }
}

/** At the test file's end, in the worker: it did not die in this one. */
export function noteFileEnded(): void {
  const dir = process.env[CHECKING_DIR_VARIABLE]
  if (dir) rmSync(runningNotePath(dir), { force: true })
}

/** The reason given when the worker was ended while Node wrote its report. */
export const REPORT_CUT_SHORT = 'a fatal error (the process was ended before Node finished its report of it)'

/** What a Node diagnostic report written on a fatal error says about it. */
export interface FatalError {
  reason: string
  heapUsed?: number
}

/** The facts of a parsed diagnostic report (`process.report`), or undefined when it is not one of a fatal error. */
export function fatalErrorOf(report: unknown): FatalError | undefined {
  const { header, javascriptHeap } = (report ?? {}) as {
    header?: { event?: unknown; trigger?: unknown }
    javascriptHeap?: { usedMemory?: unknown }
  }
  if (typeof header?.event !== 'string' || header.trigger === 'JavaScript API' || header.trigger === 'Signal')
    return undefined
  return {
    reason: header.event,
    ...(typeof javascriptHeap?.usedMemory === 'number' && { heapUsed: javascriptHeap.usedMemory }),
  }
}

/**
 * A note left at the run's end means the worker did not finish its file: it died there when Node
 * began a fatal-error report for it, or when the framework says the file's worker crashed (Jest ends
 * a worker as soon as "heap out of memory" reaches its stderr, often before Node has made the
 * report's file). A note alone is no death: a file whose import threw ends without its end hooks,
 * and a run stopped early (a bail, an interrupt) stops its workers mid-file.
 */
export function deathOf(
  note: Pick<RunningNote, 'file' | 'heapLimit'>,
  fatal: FatalError | undefined,
  frameworkSays: string | undefined,
): WorkerDeath | undefined {
  const reason = fatal ?? (frameworkSays === undefined ? undefined : { reason: frameworkSays })
  return reason && { file: note.file, ...reason, heapLimit: note.heapLimit }
}

/**
 * The workers that died while running a file, with what they left: one entry each. `crashed`: the
 * framework's own error for each file whose worker it saw crash, by file relative to the root.
 */
export function workerDeaths(
  dir: string,
  crashed: ReadonlyMap<string, string> = new Map(),
): Array<{ worker: string; death: WorkerDeath }> {
  let names: string[]
  try {
    names = readdirSync(dir)
  } catch {
    return []
  }
  return names
    .filter((name) => name.endsWith('.running.json'))
    .flatMap((name) => {
      let note: RunningNote
      try {
        note = JSON.parse(readFileSync(join(dir, name), 'utf8')) as RunningNote
      } catch {
        return []
      }
      const death = deathOf(note, fatalErrorIn(dir, names, note), crashed.get(note.file))
      if (!death) return []
      const snapshot = note.keep && keepNearLimitSnapshot(note, note.keep)
      return [{ worker: note.worker, death: snapshot ? { ...death, snapshot } : death }]
    })
}

/** Node names a report `report.<date>.<time>.<pid>.<thread>.<seq>.json`, a snapshot `Heap.<date>.<time>.<pid>.<thread>.<seq>.heapsnapshot`. */
function isOfWorker(name: string, prefix: string, suffix: string, note: RunningNote): boolean {
  return name.startsWith(prefix) && name.endsWith(suffix) && name.includes(`.${note.pid}.${note.threadId}.`)
}

/**
 * Node creates the report file as the fatal error begins: a file of the worker's is the death, even
 * when it is empty or cut short (Jest ends a worker as soon as "heap out of memory" reaches its
 * stderr, while Node is still writing).
 */
function fatalErrorIn(dir: string, names: string[], note: RunningNote): FatalError | undefined {
  const reports = names.filter((n) => isOfWorker(n, 'report.', '.json', note))
  for (const name of reports) {
    try {
      const fatal = fatalErrorOf(JSON.parse(readFileSync(join(dir, name), 'utf8')))
      if (fatal) return fatal
    } catch {
      // Cut short: see below.
    }
  }
  return reports.length > 0 ? { reason: REPORT_CUT_SHORT } : undefined
}

/** Moves V8's near-limit snapshot of the worker into the kept snapshots, named after the file. */
function keepNearLimitSnapshot(note: RunningNote, keep: { root: string; dir: string }): string | undefined {
  let names: string[]
  try {
    names = readdirSync(note.cwd)
  } catch {
    return undefined
  }
  const written = names
    .filter((n) => isOfWorker(n, 'Heap.', '.heapsnapshot', note))
    .sort()
    .at(-1)
  if (!written) return undefined
  const from = join(note.cwd, written)
  const to = keptSnapshotFile(keep.root, keep.dir, note.file, 'near-heap-limit')
  try {
    renameSync(from, to)
  } catch {
    // Another file system: copied, then removed.
    copyFileSync(from, to)
    rmSync(from, { force: true })
  }
  return existsSync(to) ? to : undefined
}
