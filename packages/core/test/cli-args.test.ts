import { describe, expect, test } from 'vitest'
import { parseCommandLine, UsageError, usageLine, type CommandShape } from '../src/cli/args.js'
import { commands } from '../src/cli/commands.js'

const parse = (line: string) => parseCommandLine(line.split(' ').filter(Boolean), commands)
const refusal = (line: string): UsageError => {
  try {
    parse(line)
  } catch (error) {
    if (error instanceof UsageError) return error
    throw error
  }
  throw new Error(`"${line}" was accepted`)
}

describe('parseCommandLine', () => {
  test('a command with its positionals and flags, in either flag form and any order', () => {
    expect(parse('diff a.heapsnapshot --groups 20 b.heapsnapshot --paths=0 --json --root=src')).toEqual({
      kind: 'run',
      command: 'diff',
      positionals: ['a.heapsnapshot', 'b.heapsnapshot'],
      flags: { groups: 20, paths: 0, json: true, root: 'src' },
    })
  })

  test('object ids are taken bare or as DevTools prints them', () => {
    expect(parse('inspect x.heapsnapshot --path-to @12345')).toMatchObject({ flags: { 'path-to': 12345 } })
    expect(parse('inspect x.heapsnapshot --path-to=67')).toMatchObject({ flags: { 'path-to': 67 } })
  })

  test('a variadic last positional takes one or more arguments', () => {
    expect(parse('report a.json b.json --markdown c.json')).toEqual({
      kind: 'run',
      command: 'report',
      positionals: ['a.json', 'b.json', 'c.json'],
      flags: { markdown: true },
    })
    expect(usageLine(commands.find((c) => c.name === 'report')!)).toBe(
      'leakproof report <report.json> [<report.json> …] [flags]',
    )
    expect(() => parse('report --json out.json')).toThrow('missing <report.json>')
  })

  test('after --, arguments that start with - are positionals', () => {
    expect(parse('diff -- -a.heapsnapshot -b.heapsnapshot')).toMatchObject({
      positionals: ['-a.heapsnapshot', '-b.heapsnapshot'],
    })
  })

  test('help and version, help winning over mistakes on the same line', () => {
    expect(parse('--help')).toEqual({ kind: 'help' })
    expect(parse('-h')).toEqual({ kind: 'help' })
    expect(parse('help diff')).toEqual({ kind: 'help', command: 'diff' })
    expect(parse('diff --help')).toEqual({ kind: 'help', command: 'diff' })
    expect(parse('inspect --nonsense -h')).toEqual({ kind: 'help', command: 'inspect' })
    expect(parse('--version')).toEqual({ kind: 'version' })
    expect(parse('-v')).toEqual({ kind: 'version' })
  })

  test.each([
    ['', undefined, 'missing command (commands: diff, inspect, report, baseline)'],
    ['difff a b', undefined, 'unknown command "difff"; did you mean diff? (commands: diff, inspect, report, baseline)'],
    [
      '--json diff a b',
      undefined,
      'unknown flag --json before the command (commands: diff, inspect, report, baseline)',
    ],
    ['diff a b --grups 3', 'diff', 'unknown flag --grups; did you mean --groups?'],
    ['diff a b -x', 'diff', 'unknown flag -x'],
    ['diff a b --groups ten', 'diff', '--groups must be a whole number (0 or more), got "ten"'],
    ['diff a b --paths -1', 'diff', '--paths must be a whole number (0 or more), got "-1"'],
    ['diff a b --groups 1.5', 'diff', '--groups must be a whole number (0 or more), got "1.5"'],
    ['diff a b --groups', 'diff', '--groups needs a value: --groups <n>'],
    ['diff a b --groups --json', 'diff', '--groups needs a value: --groups <n>'],
    ['diff a b --root=', 'diff', '--root needs a value: --root <dir>'],
    ['diff a b --json=yes', 'diff', '--json takes no value, got "yes"'],
    [
      'diff a',
      'diff',
      'missing <after.heapsnapshot> (usage: leakproof diff <before.heapsnapshot> <after.heapsnapshot> [flags])',
    ],
    [
      'diff',
      'diff',
      'missing <before.heapsnapshot> and <after.heapsnapshot> (usage: leakproof diff <before.heapsnapshot> <after.heapsnapshot> [flags])',
    ],
    [
      'diff a b c',
      'diff',
      'unexpected argument "c" (usage: leakproof diff <before.heapsnapshot> <after.heapsnapshot> [flags])',
    ],
    ['inspect x', 'inspect', 'missing --path-to <node id>'],
    ['inspect x --path-to abc', 'inspect', '--path-to must be a heap object id such as 12345 or @12345, got "abc"'],
  ])('refuses "%s" in one line naming what was wrong', (line, command, message) => {
    const error = refusal(line)
    expect(error.message).toBe(message)
    expect(error.command).toBe(command)
  })

  test('the usage line comes from the declaration (a new command needs no parser change)', () => {
    const report: CommandShape = {
      name: 'report',
      positionals: [{ name: '<report.json>', description: '' }],
      flags: [{ name: 'merge', kind: 'boolean', description: '' }],
    }
    expect(usageLine(report)).toBe('leakproof report <report.json> [flags]')
    expect(parseCommandLine(['report', 'r.json', '--merge'], [report])).toEqual({
      kind: 'run',
      command: 'report',
      positionals: ['r.json'],
      flags: { merge: true },
    })
  })
})
