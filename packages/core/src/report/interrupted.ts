/**
 * A worker that dies while leakproof checks one of its tests (killed for memory during re-runs or
 * a heap snapshot, or crashed) takes its verdicts with it. Before each expensive step the worker
 * leaves a note in a folder the run's reporter made; a note still there at the end of the run names
 * the test that was being checked, and joins the report as that test's entry.
 */
import { mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { isMainThread, threadId } from 'node:worker_threads'
import pc from 'picocolors'
import { testId, type TestReport } from './model.js'

/** The folder, made by the reporter in the main process; workers inherit it with the environment. */
export const CHECKING_DIR_VARIABLE = 'LEAKPROOF_CHECKING_DIR'
/** The reporter's process id: a worker that is that process (Jest in band) has no one to report its death to (worker-deaths.ts). */
export const REPORTER_PID_VARIABLE = 'LEAKPROOF_REPORTER_PID'

/** Whether this is the reporter's own process and thread: Jest in band runs the files there. */
export function isReporterThread(): boolean {
  return isMainThread && process.env[REPORTER_PID_VARIABLE] === String(process.pid)
}

interface CheckingNote {
  file: string
  fullName: string
  /** What leakproof was doing: "re-running the test to confirm a leak". */
  step: string
}

/** Runs `work` with a note saying which test is being checked; the note goes when `work` ends. */
export async function whileChecking<T>(note: CheckingNote, work: () => Promise<T>): Promise<T> {
  const dir = process.env[CHECKING_DIR_VARIABLE]
  const path = dir ? join(dir, `${process.pid}-${threadId}.checking.json`) : undefined
  try {
    if (path) writeFileSync(path, JSON.stringify(note))
  } catch {
    // The note is a courtesy for a crash; a check goes on without it.
  }
  try {
    return await work()
  } finally {
    if (path) rmSync(path, { force: true })
  }
}

/** A fresh folder for the notes of one run (watch mode: each run starts empty). */
export function prepareCheckingDir(dir: string): void {
  rmSync(dir, { recursive: true, force: true })
  mkdirSync(dir, { recursive: true })
  process.env[CHECKING_DIR_VARIABLE] = dir
  process.env[REPORTER_PID_VARIABLE] = String(process.pid)
}

/** The tests whose check never ended: their workers died. Each becomes a report entry. */
export function interruptedChecks(dir: string): TestReport[] {
  let names: string[]
  try {
    names = readdirSync(dir).filter((n) => n.endsWith('.checking.json'))
  } catch {
    return []
  }
  return names.flatMap((name) => {
    try {
      const note = JSON.parse(readFileSync(join(dir, name), 'utf8')) as CheckingNote
      return [
        {
          id: testId(note.file, note.fullName),
          file: note.file,
          fullName: note.fullName,
          verdict: 'skipped' as const,
          findings: [],
          notes: [],
          interrupted: note.step,
        },
      ]
    } catch {
      return []
    }
  })
}

/** The terminal lines for interrupted checks: which test, and what leakproof was doing. */
export function formatInterruptedSummary(tests: TestReport[], color: boolean): string {
  const interrupted = tests.filter((t) => t.interrupted)
  if (interrupted.length === 0) return ''
  const c = pc.createColors(color)
  const lines = [
    `${c.bold('leakproof')}: ${interrupted.length === 1 ? 'a worker' : `${interrupted.length} workers`} died while leakproof was checking a test (see the framework's error for the file; the other files' results are kept)`,
  ]
  for (const t of interrupted) lines.push(`  ${c.red(t.id)}: ${t.interrupted}`)
  return lines.join('\n')
}
