import { SnapshotError } from '../snapshot/errors.js'
import { toolVersion } from '../version.js'
import { parseCommandLine, UsageError } from './args.js'
import { commands } from './commands.js'
import { CliError, colorsFor, type CliIo } from './context.js'
import { commandHelp, mainHelp } from './help.js'

/**
 * The whole command line: parse, dispatch, turn every failure into one line on stderr and an exit
 * code (0 done, 1 the input could not be analysed, 2 wrong usage). Never prints a stack trace
 * unless LEAKPROOF_DEBUG is set and the error is leakproof's own bug.
 */
export async function run(argv: readonly string[], io: CliIo): Promise<number> {
  const c = colorsFor(io.stderr, io.env)
  try {
    const line = parseCommandLine(argv, commands)
    if (line.kind === 'version') {
      io.stdout.write(`${toolVersion()}\n`)
      return 0
    }
    if (line.kind === 'help') {
      const command = commands.find((x) => x.name === line.command)
      io.stdout.write(`${command ? commandHelp(command) : mainHelp(commands, toolVersion())}\n`)
      return 0
    }
    const command = commands.find((x) => x.name === line.command)!
    return await command.run(line, io)
  } catch (error) {
    if (error instanceof UsageError) {
      const where = error.command ? `leakproof ${error.command}` : 'leakproof'
      io.stderr.write(
        `${c.red(`${where}:`)} ${error.message}${error.message.endsWith('?') ? '' : '.'} Run ${where} --help.\n`,
      )
      return 2
    }
    if (error instanceof SnapshotError || error instanceof CliError) {
      io.stderr.write(`${c.red('leakproof:')}${error.message.replace(/^leakproof:/, '')}\n`)
      return 1
    }
    const message = error instanceof Error ? error.message : String(error)
    io.stderr.write(
      `${c.red('leakproof:')} unexpected error: ${message.replace(/^leakproof: /, '')}${io.env.LEAKPROOF_DEBUG ? `\n${(error as Error).stack}` : ' (set LEAKPROOF_DEBUG=1 for details, and please report it)'}\n`,
    )
    return 1
  }
}
