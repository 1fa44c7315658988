import { usageLine, type FlagSpec } from './args.js'
import type { Command } from './commands.js'

const EXIT_CODES = ['exit codes: 0 done, 1 an input could not be read, analysed or merged, 2 wrong usage']

/** `leakproof --help`. */
export function mainHelp(commands: readonly Command[], version: string): string {
  const width = Math.max(...commands.map((c) => c.name.length))
  return [
    `leakproof ${version}: heap snapshots explained (what is new, and what holds it), and run reports`,
    '',
    'usage: leakproof <command> [arguments] [flags]',
    '',
    'commands:',
    ...commands.map((c) => `  ${c.name.padEnd(width)}  ${c.summary}`),
    '',
    'flags: -h, --help (also after a command), -v, --version',
    ...EXIT_CODES,
    '',
    `run leakproof <command> --help for its arguments and flags`,
  ].join('\n')
}

/** `leakproof <command> --help`. */
export function commandHelp(command: Command): string {
  const flag = (f: FlagSpec): string => `--${f.name}${f.value ? ` ${f.value}` : ''}`
  const width = Math.max(
    ...command.positionals.map((p) => p.name.length),
    ...command.flags.map((f) => flag(f).length),
    9,
  )
  return [
    `usage: ${usageLine(command)}`,
    '',
    command.summary,
    '',
    'arguments:',
    ...command.positionals.map((p) => `  ${p.name.padEnd(width)}  ${p.description}`),
    '',
    'flags:',
    ...command.flags.map((f) => `  ${flag(f).padEnd(width)}  ${f.description}${f.required ? ' (required)' : ''}`),
    `  ${'-h, --help'.padEnd(width)}  this help`,
    '',
    'examples:',
    ...command.examples.map((e) => `  ${e}`),
    '',
    ...EXIT_CODES,
  ].join('\n')
}
