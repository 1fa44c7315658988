import pc from 'picocolors'
import { progressBar, type ProgressBar, type ProgressStream } from './progress.js'

/** Where a command writes and what it may know of its environment: injected, so tests need no terminal. */
export interface CliIo {
  stdout: ProgressStream
  stderr: ProgressStream
  env: NodeJS.ProcessEnv
  cwd: string
}

export type Colors = ReturnType<typeof pc.createColors>

/**
 * Colours only for a person at a terminal: `stream` is a TTY, NO_COLOR is unset or empty
 * (no-color.org) and TERM is not `dumb`. picocolors' own default would also colour on CI and under
 * FORCE_COLOR, which a log file or `leakproof diff … > report.txt` should not get.
 */
export function colorsFor(stream: ProgressStream, env: NodeJS.ProcessEnv): Colors {
  return pc.createColors(Boolean(stream.isTTY) && !env.NO_COLOR && env.TERM !== 'dumb')
}

/** The progress bar for reading snapshots: on stderr, never with --json. */
export function readingProgress(io: CliIo, json: boolean, label: string): ProgressBar {
  return progressBar({ stream: io.stderr, label, enabled: !json })
}

/** A failure the user can act on (exit code 1): printed as its message alone, no stack. */
export class CliError extends Error {
  override name = 'CliError'
}
