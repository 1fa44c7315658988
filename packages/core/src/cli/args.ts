import { parseArgs, type ParseArgsConfig } from 'node:util'

type ParseArgsOptionsConfig = NonNullable<ParseArgsConfig['options']>

/**
 * The command line as data: which command, its positional arguments and its flags, checked
 * against the command's declaration. Pure (no IO), so every refusal is unit-tested; a refusal is a
 * {@link UsageError} whose message is one line naming the flag or argument and the value given.
 */

/** A flag a command accepts. `boolean` flags take no value; the others take exactly one. */
export interface FlagSpec {
  name: string
  kind: 'boolean' | 'string' | 'count' | 'node-id'
  /** Placeholder in help and errors: `<dir>`, `<n>`, `<node id>`. */
  value?: string
  description: string
  required?: boolean
}

export interface PositionalSpec {
  /** `<before.heapsnapshot>` */
  name: string
  description: string
  /** The last positional only: it takes one or more arguments (`leakproof report a.json b.json …`). */
  variadic?: boolean
}

/** What the parser needs of a command; commands.ts adds the rest (summary, run). */
export interface CommandShape {
  name: string
  positionals: PositionalSpec[]
  flags: FlagSpec[]
}

export type FlagValue = string | number | boolean

export type CommandLine =
  | { kind: 'help'; command?: string }
  | { kind: 'version' }
  | { kind: 'run'; command: string; positionals: string[]; flags: Record<string, FlagValue> }

/** The user asked for something the command line does not offer: exit code 2, never a stack trace. */
export class UsageError extends Error {
  constructor(
    message: string,
    /** The command whose `--help` the hint points at, when one was named. */
    readonly command?: string,
  ) {
    super(message)
    this.name = 'UsageError'
  }
}

/**
 * Parses `argv` (without node and the script) against the commands. The flags and positionals of
 * a command go through `node:util`'s `parseArgs` (strict): `--flag value` and `--flag=value`, `--`
 * before positionals that start with `-`, a flag given twice keeping the last value. This module
 * adds what parseArgs does not say in one line: which command, `-h`/`--help` anywhere (help wins
 * over every other mistake on the line), `-v`/`--version` before a command, typed values, required
 * flags, positional counts, and a refusal that names the flag with a did-you-mean hint.
 */
export function parseCommandLine(argv: readonly string[], commands: readonly CommandShape[]): CommandLine {
  const first = argv[0]
  if (first === undefined) throw new UsageError(`missing command (${commandList(commands)})`)
  if (first === '--help' || first === '-h' || first === 'help')
    return { kind: 'help', ...(argv[1] && commands.some((c) => c.name === argv[1]) && { command: argv[1] }) }
  if (first === '--version' || first === '-v') return { kind: 'version' }
  if (first.startsWith('-')) throw new UsageError(`unknown flag ${first} before the command (${commandList(commands)})`)
  const command = commands.find((c) => c.name === first)
  if (!command)
    throw new UsageError(
      `unknown command "${first}"${suggestion(
        first,
        commands.map((c) => c.name),
        '',
      )} (${commandList(commands)})`,
    )
  const rest = argv.slice(1)
  const endOfFlags = rest.indexOf('--')
  if (rest.slice(0, endOfFlags < 0 ? undefined : endOfFlags).some((a) => a === '--help' || a === '-h'))
    return { kind: 'help', command: command.name }

  const fail = (message: string): never => {
    throw new UsageError(message, command.name)
  }
  const options: ParseArgsOptionsConfig = Object.fromEntries(
    command.flags.map((f) => [f.name, { type: f.kind === 'boolean' ? ('boolean' as const) : ('string' as const) }]),
  )
  let parsed: ReturnType<typeof parseArgs<{ options: ParseArgsOptionsConfig; allowPositionals: true; strict: true }>>
  try {
    parsed = parseArgs({ args: [...rest], options, allowPositionals: true, strict: true })
  } catch (error) {
    if (!isParseArgsError(error)) throw error
    return fail(refusalOf(rest, options, command, fail))
  }
  const flags: Record<string, FlagValue> = {}
  for (const flag of command.flags) {
    // No flag is declared `multiple`, so parseArgs gives one string or boolean per flag.
    const raw = parsed.values[flag.name] as string | boolean | undefined
    if (raw === undefined) continue
    if (raw === '') fail(`--${flag.name} needs a value: --${flag.name} ${flag.value ?? '<value>'}`)
    flags[flag.name] = typeof raw === 'boolean' ? raw : flagValue(flag, raw, fail)
  }

  const { positionals } = parsed
  for (const flag of command.flags)
    if (flag.required && flags[flag.name] === undefined) fail(`missing --${flag.name} ${flag.value ?? '<value>'}`)
  if (positionals.length < command.positionals.length) {
    const missing = command.positionals.slice(positionals.length).map((p) => p.name)
    fail(`missing ${missing.join(' and ')} (usage: ${usageLine(command)})`)
  }
  if (positionals.length > command.positionals.length && !command.positionals.at(-1)?.variadic)
    fail(`unexpected argument "${positionals[command.positionals.length]}" (usage: ${usageLine(command)})`)
  return { kind: 'run', command: command.name, positionals, flags }
}

/** parseArgs' own refusals: an unknown flag, a missing or unexpected value. */
function isParseArgsError(error: unknown): boolean {
  const code = (error as { code?: unknown })?.code
  return typeof code === 'string' && code.startsWith('ERR_PARSE_ARGS_')
}

/**
 * The one-line message for what strict parseArgs refused, from the tokens of a lenient parse of
 * the same line (parseArgs' own messages are several sentences, and change between Node versions).
 */
function refusalOf(
  args: readonly string[],
  options: ParseArgsOptionsConfig,
  command: CommandShape,
  fail: (message: string) => never,
): string {
  const { tokens } = parseArgs({ args: [...args], options, strict: false, allowPositionals: true, tokens: true })
  for (const token of tokens) {
    if (token.kind !== 'option') continue
    const flag = command.flags.find((f) => f.name === token.name && token.rawName.startsWith('--'))
    if (!flag)
      return `unknown flag ${token.rawName}${suggestion(
        token.name,
        command.flags.map((f) => f.name),
        '--',
      )}`
    if (flag.kind === 'boolean') {
      if (token.value !== undefined) return `--${flag.name} takes no value, got "${token.value}"`
      continue
    }
    // A value that looks like a flag: `--groups --json` lacks one, `--paths -1` has a wrong one.
    if (token.value === undefined || (!token.inlineValue && token.value.startsWith('--')))
      return `--${flag.name} needs a value: --${flag.name} ${flag.value ?? '<value>'}`
    if (!token.inlineValue && token.value.startsWith('-')) {
      flagValue(flag, token.value, fail)
      return `--${flag.name} ${token.value}: a value that starts with - is written --${flag.name}=${token.value}`
    }
  }
  return `cannot read the command line "${args.join(' ')}"`
}

function flagValue(flag: FlagSpec, raw: string, fail: (message: string) => never): FlagValue {
  switch (flag.kind) {
    case 'count': {
      const n = /^\d+$/.test(raw) ? Number(raw) : NaN
      return Number.isSafeInteger(n) ? n : fail(`--${flag.name} must be a whole number (0 or more), got "${raw}"`)
    }
    case 'node-id': {
      // DevTools prints ids as @123; accept that form as well as the bare number.
      const n = /^@?\d+$/.test(raw) ? Number(raw.replace('@', '')) : NaN
      return Number.isSafeInteger(n)
        ? n
        : fail(`--${flag.name} must be a heap object id such as 12345 or @12345, got "${raw}"`)
    }
    default:
      return raw
  }
}

/** `leakproof diff <before.heapsnapshot> <after.heapsnapshot> [flags]` */
export function usageLine(command: CommandShape): string {
  const required = command.flags.filter((f) => f.required).map((f) => `--${f.name} ${f.value ?? '<value>'}`)
  const optional = command.flags.some((f) => !f.required) ? ['[flags]'] : []
  return [
    'leakproof',
    command.name,
    ...command.positionals.map((p) => (p.variadic ? `${p.name} [${p.name} …]` : p.name)),
    ...required,
    ...optional,
  ].join(' ')
}

function commandList(commands: readonly CommandShape[]): string {
  return `commands: ${commands.map((c) => c.name).join(', ')}`
}

/** `; did you mean --groups?` for a near miss (edit distance ≤ 2), else ''. */
function suggestion(given: string, known: string[], prefix: string): string {
  let best: string | undefined
  let bestDistance = 3
  for (const name of known) {
    const d = editDistance(given, name)
    if (d < bestDistance) [best, bestDistance] = [name, d]
  }
  return best ? `; did you mean ${prefix}${best}?` : ''
}

function editDistance(a: string, b: string): number {
  let row = Array.from({ length: b.length + 1 }, (_, j) => j)
  for (let i = 1; i <= a.length; i++) {
    const next = [i]
    for (let j = 1; j <= b.length; j++)
      next[j] = Math.min(row[j]! + 1, next[j - 1]! + 1, row[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1))
    row = next
  }
  return row[b.length]!
}
