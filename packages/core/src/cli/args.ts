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
 * Parses `argv` (without node and the script) against the commands. Accepts `--flag value` and
 * `--flag=value`, `--` before positionals that start with `-`, `-h`/`--help` anywhere (help wins
 * over every other mistake on the line) and `-v`/`--version` before a command. A flag given twice
 * keeps the last value, as most command-line tools do.
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
  const positionals: string[] = []
  const flags: Record<string, FlagValue> = {}
  for (let i = 0; i < rest.length; i++) {
    const arg = rest[i]!
    if (arg === '--') {
      positionals.push(...rest.slice(i + 1))
      break
    }
    if (!arg.startsWith('-') || arg === '-') {
      positionals.push(arg)
      continue
    }
    const eq = arg.indexOf('=')
    const name = arg.startsWith('--') ? arg.slice(2, eq < 0 ? undefined : eq) : ''
    const spec = command.flags.find((f) => f.name === name)
    if (!spec) {
      const shown = eq < 0 ? arg : arg.slice(0, eq)
      fail(
        `unknown flag ${shown}${suggestion(
          name || shown.replace(/^-+/, ''),
          command.flags.map((f) => f.name),
          '--',
        )}`,
      )
    }
    const flag = spec!
    if (flag.kind === 'boolean') {
      if (eq >= 0) fail(`--${flag.name} takes no value, got "${arg.slice(eq + 1)}"`)
      flags[flag.name] = true
      continue
    }
    let raw: string | undefined
    if (eq >= 0) raw = arg.slice(eq + 1)
    else if (i + 1 < rest.length && !rest[i + 1]!.startsWith('--')) raw = rest[++i]
    if (raw === undefined || raw === '') fail(`--${flag.name} needs a value: --${flag.name} ${flag.value ?? '<value>'}`)
    flags[flag.name] = flagValue(flag, raw!, fail)
  }

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
