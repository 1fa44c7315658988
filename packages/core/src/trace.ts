/**
 * Judging's readings, one JSON line each, appended to the file `LEAKPROOF_TRACE` names: what the
 * samples and the full GCs said at each step for each test, and what it decided. For a verdict that
 * is hard to reproduce (a leak cleared on a loaded machine): it is how a silent clearing explains
 * itself. Off (one comparison per step) unless the variable is set.
 */
import { appendFileSync } from 'node:fs'

const file = process.env.LEAKPROOF_TRACE

export function trace(step: string, test: { file: string; fullName: string }, readings: object): void {
  if (!file) return
  try {
    appendFileSync(
      file,
      // `at`: milliseconds since the process started, so the time between steps shows what judging cost.
      `${JSON.stringify({ step, file: test.file, test: test.fullName, pid: process.pid, at: Math.round(performance.now()), ...readings })}\n`,
    )
  } catch {
    // A trace is a diagnosis aid: judging goes on without it.
  }
}
