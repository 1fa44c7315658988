import { execFile } from 'node:child_process'
import { readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { beforeAll, describe, expect, test } from 'vitest'
import type { Explanation } from '../src/index.js'
import { coreRoot, makeSnapshots } from './snapshot-helpers.js'

// The real bin as npm links it (package.json "bin"), run by node from the package directory.
const manifest = JSON.parse(readFileSync(join(coreRoot, 'package.json'), 'utf8')) as {
  version: string
  bin: Record<string, string>
}
const bin = join(coreRoot, manifest.bin.leakproof!)
const N = 2000

interface Run {
  code: number
  stdout: string
  stderr: string
}

/** Runs `leakproof …` as a user would, without a terminal (so no progress bar and no colours). */
function leakproof(...args: string[]): Promise<Run> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [bin, ...args],
      { cwd: coreRoot, env: { ...process.env, NO_COLOR: '', FORCE_COLOR: '' } },
      (error, stdout, stderr) => {
        resolve({ code: typeof error?.code === 'number' ? error.code : 0, stdout, stderr })
      },
    )
  })
}

/** One line on stderr, nothing on stdout, no stack frame. */
function expectOneLineError(run: Run, code: 1 | 2, message: string | RegExp): void {
  expect(run.code).toBe(code)
  expect(run.stdout).toBe('')
  expect(run.stderr.endsWith('\n')).toBe(true)
  expect(run.stderr.trimEnd().split('\n')).toHaveLength(1)
  expect(run.stderr).not.toMatch(/^\s*at /m)
  expect(run.stderr).toMatch(message)
}

let dir: string
let before: string
let after: string
let otherProcess: string
let json: Explanation

beforeAll(async () => {
  // One leaking process (before/after) and a second run of the same program (its own "after"),
  // made once for every test here.
  const [same, other] = await Promise.all([
    makeSnapshots('user-cache', N),
    makeSnapshots('user-cache', N, 'after-only'),
  ])
  dir = same
  before = join(same, 'before.heapsnapshot')
  after = join(same, 'after.heapsnapshot')
  otherProcess = join(other, 'after.heapsnapshot')
  const run = await leakproof('diff', before, after, '--json')
  expect(run).toMatchObject({ code: 0, stderr: '' })
  json = JSON.parse(run.stdout) as Explanation
})

describe('leakproof diff', () => {
  test('prints the leak report: module, variable, closure with file:line, count; no bar or colour off a terminal', async () => {
    const run = await leakproof('diff', before, after)
    expect(run.code).toBe(0)
    expect(run.stderr).toBe('')
    expect(run.stdout).not.toContain('\x1b[')
    expect(run.stdout).toContain(
      [
        '  retained by (shortest path from a GC root)',
        '    module test/fixtures/snapshot/user-cache.cjs',
        `      → cache  Map (${(2 * N).toLocaleString('en-US')} entries)`,
        `        → value  closure onUserLoaded  test/fixtures/snapshot/user-cache.cjs:7:`,
      ].join('\n'),
    )
    expect(run.stdout).toMatch(new RegExp(`×${N.toLocaleString('en-US')}  \\d+ KB\\n`))
    expect(run.stdout).toMatch(
      new RegExp(
        `  new objects \\(alive only in the second snapshot\\)\\n.*\\n +×${N.toLocaleString('en-US')} .* closure onUserLoaded\\n`,
      ),
    )
    expect(run.stdout).toContain(`leakproof inspect ${after} --path-to @${json.paths[0]!.id}`)
  })

  test("--json is the engine's Explanation and nothing else on stdout", () => {
    expect(json.schemaVersion).toBe(1)
    expect(json.groups.slice(0, 2)).toMatchObject([
      { name: 'closure onUserLoaded', count: N },
      { name: 'Array', count: N },
    ])
    expect(json.groups).toHaveLength(10)
    expect(json.paths).toHaveLength(3)
    expect(json.paths[0]).toMatchObject({ group: 'closure onUserLoaded', id: expect.any(Number) })
    expect(json.text).toContain('→ cache  Map')
  })

  test('--groups, --paths and --root shape the report', async () => {
    const run = await leakproof('diff', before, after, '--groups=1', '--paths', '0', '--root', '/')
    expect(run.code).toBe(0)
    expect(run.stdout).not.toContain('retained by')
    expect(run.stdout).not.toContain('Array')
    expect(run.stdout).toMatch(/closure onUserLoaded\n/)
  })
})

describe('leakproof inspect', () => {
  test('--path-to an object from the diff prints the path from a GC root ending at it', async () => {
    const { id } = json.paths[0]!
    const run = await leakproof('inspect', after, '--path-to', `@${id}`)
    expect(run.code).toBe(0)
    expect(run.stderr).toBe('')
    const lines = run.stdout.trimEnd().split('\n')
    expect(lines.slice(0, 4)).toEqual([
      `  path to @${id} (shortest from a GC root, strong references only)`,
      '    module test/fixtures/snapshot/user-cache.cjs',
      `      → cache  Map (${(2 * N).toLocaleString('en-US')} entries)`,
      expect.stringMatching(/^ {8}→ value {2}closure onUserLoaded {2}test\/fixtures\/snapshot\/user-cache\.cjs:7:\d+$/),
    ])
    expect(lines.at(-1)).toMatch(new RegExp(`^  @${id} closure onUserLoaded: \\d+ B self, \\d+ B retained`))
  })

  test('--json gives the folded path and the sizes', async () => {
    const { id } = json.paths.find((p) => p.group === 'Array')!
    const run = await leakproof('inspect', after, '--path-to', String(id), '--json')
    expect(run).toMatchObject({ code: 0, stderr: '' })
    const result = JSON.parse(run.stdout) as {
      id: number
      path: Array<{ edge: string; node: string }>
      selfSize: number
      retainedSize: number
    }
    expect(result.id).toBe(id)
    expect(result.path.map((s) => `${s.edge} ${s.node}`)).toEqual([
      ' module',
      'cache Map (4,000 entries)',
      'value closure onUserLoaded',
      'history Array',
    ])
    expect(result.selfSize).toBeGreaterThan(0)
    expect(result.retainedSize).toBeGreaterThanOrEqual(result.selfSize)
  })

  test('an id the snapshot does not have', async () => {
    expectOneLineError(
      await leakproof('inspect', after, '--path-to', '999999999'),
      1,
      `leakproof: ${after} has no object with id @999999999; take the id from the same snapshot`,
    )
  })
})

describe('leakproof refuses clearly', () => {
  test('a missing file (exit 1)', async () => {
    expectOneLineError(
      await leakproof('diff', join(dir, 'nope.heapsnapshot'), after),
      1,
      `leakproof: heap snapshot ${join(dir, 'nope.heapsnapshot')} does not exist or cannot be read; check the path`,
    )
  })

  test('a file that is not a heap snapshot (exit 1)', async () => {
    const notSnapshot = join(dir, 'package.json')
    writeFileSync(notSnapshot, '{"name": "not-a-snapshot", "version": "1.0.0"}\n')
    expectOneLineError(
      await leakproof('inspect', notSnapshot, '--path-to', '1'),
      1,
      `leakproof: ${notSnapshot} is not a V8 heap snapshot leakproof can read: its first key is "name", not "snapshot".`,
    )
    expectOneLineError(await leakproof('diff', notSnapshot, after), 1, 'is not a V8 heap snapshot')
  })

  test('snapshots of two processes (exit 1)', async () => {
    expectOneLineError(
      await leakproof('diff', before, otherProcess),
      1,
      /^leakproof: the two heap snapshots are not "before" and "after" of one process: only [\d.]+% of the second's older objects match the first/,
    )
  })

  test.each([
    [
      ['diff', 'a', 'b', '--grups', '3'],
      'leakproof diff: unknown flag --grups; did you mean --groups? Run leakproof diff --help.',
    ],
    [
      ['diff', 'a'],
      'leakproof diff: missing <after.heapsnapshot> (usage: leakproof diff <before.heapsnapshot> <after.heapsnapshot> [flags]). Run leakproof diff --help.',
    ],
    [
      ['diff', 'a', 'b', '--groups', 'ten'],
      'leakproof diff: --groups must be a whole number (0 or more), got "ten". Run leakproof diff --help.',
    ],
    [['inspect', 'x.heapsnapshot'], 'leakproof inspect: missing --path-to <node id>. Run leakproof inspect --help.'],
    [
      ['snapshot'],
      'leakproof: unknown command "snapshot" (commands: diff, inspect, report, baseline). Run leakproof --help.',
    ],
    [[], 'leakproof: missing command (commands: diff, inspect, report, baseline). Run leakproof --help.'],
  ])('wrong usage %j (exit 2)', async (args, message) => {
    const run = await leakproof(...args)
    expectOneLineError(run, 2, message)
    expect(run.stderr).toBe(`${message}\n`)
  })
})

describe('help and version', () => {
  test('--version prints the package version', async () => {
    expect(await leakproof('--version')).toEqual({ code: 0, stdout: `${manifest.version}\n`, stderr: '' })
  })

  test('--help lists the commands; <command> --help its arguments and flags', async () => {
    const main = await leakproof('--help')
    expect(main.code).toBe(0)
    expect(main.stdout).toMatch(/^ {2}diff +what is alive in the second snapshot only/m)
    expect(main.stdout).toMatch(/^ {2}inspect +the shortest path from a GC root to one object/m)
    expect(main.stdout).toMatch(/^ {2}baseline +record a run's leaks as known/m)
    const diff = await leakproof('diff', '--help')
    expect(diff.stdout).toContain('usage: leakproof diff <before.heapsnapshot> <after.heapsnapshot> [flags]')
    for (const flag of ['--root <dir>', '--groups <n>', '--paths <n>', '--json']) expect(diff.stdout).toContain(flag)
    expect((await leakproof('inspect', '--help')).stdout).toContain(
      'usage: leakproof inspect <file.heapsnapshot> --path-to <node id> [flags]',
    )
  })
})
