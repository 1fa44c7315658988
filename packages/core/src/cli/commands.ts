import type { CommandShape, FlagValue } from './args.js'
import type { CliIo } from './context.js'
import { baseline } from './baseline.js'
import { diff } from './diff.js'
import { inspect } from './inspect.js'
import { report } from './report.js'

/** One subcommand: its declaration (parsed and checked by args.ts, printed by help.ts) and its work. */
export interface Command extends CommandShape {
  /** One line for `leakproof --help`. */
  summary: string
  examples: string[]
  /** Resolves to the exit code; throws SnapshotError / CliError for failures the user can fix (exit 1). */
  run(args: { positionals: string[]; flags: Record<string, FlagValue> }, io: CliIo): Promise<number>
}

/**
 * Every command, in `--help` order. A new command (`report`, `baseline`: issue 8) is one module
 * exporting a {@link Command} and one entry here.
 */
export const commands: readonly Command[] = [diff, inspect, report, baseline]
