import { execFile } from 'node:child_process'
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import Ajv2020 from 'ajv/dist/2020.js'
import { beforeAll, describe, expect, test } from 'vitest'
import { newReport, testReport, type Finding, type LeakReport } from '../src/index.js'
import { coreRoot } from './snapshot-helpers.js'

const manifest = JSON.parse(readFileSync(join(coreRoot, 'package.json'), 'utf8')) as { bin: Record<string, string> }
const bin = join(coreRoot, manifest.bin.leakproof!)

interface Run {
  code: number
  stdout: string
  stderr: string
}

let dir: string

/** `leakproof …` in the folder of the test's reports, without a terminal (no colour). */
function leakproof(...args: string[]): Promise<Run> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [bin, ...args],
      { cwd: dir, env: { ...process.env, NO_COLOR: '1', FORCE_COLOR: '' } },
      (error, stdout, stderr) => {
        resolve({ code: typeof error?.code === 'number' ? error.code : 0, stdout, stderr })
      },
    )
  })
}

// Made on CI: absolute paths under the runner's checkout, which this machine does not have.
const ci = '/home/runner/work/app/app'
const interval: Finding = {
  kind: 'handle',
  type: 'Timeout',
  description: 'Timeout (setInterval 60 s)',
  createdAt: { file: `${ci}/tests/handles.test.ts`, line: 4, column: 3 },
  stack: 'Error\n    at x',
  severity: 'error',
}
const listener: Finding = {
  kind: 'listener',
  target: 'EventEmitter',
  event: 'user:created',
  count: 1,
  addedAt: { file: `${ci}/tests/listeners.test.ts`, line: 6, column: 7 },
  stack: 'Error\n    at y',
  severity: 'error',
}
const buffers: Finding = {
  kind: 'retained',
  bytes: 6 * 2 ** 20,
  runs: 3,
  perRun: 2 * 2 ** 20,
  minPerRun: 2 * 2 ** 20,
  budget: 0,
  confirmed: true,
  sites: [],
  severity: 'error',
}
const clean = { state: 'clean' as const, findings: [], notes: [] }
const leak = (finding: Finding) => ({ state: 'leak' as const, findings: [finding], notes: [] })

function shardReport(index: number, tests: LeakReport['tests']): LeakReport {
  return {
    ...newReport({ name: 'jest', version: '30.5.2' }, tests, { index, count: 3 }),
    node: 'v20.20.2',
    createdAt: `2026-03-0${index}T09:30:00.000Z`,
  }
}
const shards = [
  shardReport(1, [
    testReport(ci, `${ci}/tests/handles.test.ts`, 'leaks: an interval that is never cleared', leak(interval), 3),
    testReport(ci, `${ci}/tests/handles.test.ts`, 'clean: a timer cleared', clean, 7),
  ]),
  shardReport(2, [
    testReport(ci, `${ci}/tests/listeners.test.ts`, 'leaks: a listener on a module-level bus', leak(listener), 5),
  ]),
  shardReport(3, [
    testReport(ci, `${ci}/tests/retained.test.ts`, 'leaks: Buffers kept in a module array', leak(buffers), 3),
    testReport(ci, `${ci}/tests/clean.test.ts`, 'clean: arithmetic', clean, 1),
  ]),
]
const write = (name: string, value: unknown): string => {
  writeFileSync(join(dir, name), typeof value === 'string' ? value : `${JSON.stringify(value, null, 2)}\n`)
  return name
}

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'leakproof-cli-report-'))
  shards.forEach((r, i) => write(`leakproof-report.shard-${i + 1}-of-3.json`, r))
})

/** One line on stderr, nothing on stdout, no stack frame. */
function expectOneLineError(run: Run, code: 1 | 2, message: string): void {
  expect(run.stdout).toBe('')
  expect(run.stderr).toBe(`${message}\n`)
  expect(run.code).toBe(code)
}

describe('leakproof report', () => {
  test("re-prints a saved report: the table with the paths relative to the run's root, and where it came from", async () => {
    const run = await leakproof('report', 'leakproof-report.shard-1-of-3.json')
    expect(run).toMatchObject({ code: 0, stderr: '' })
    expect(run.stdout.split('\n')).toEqual([
      'leakproof: 1 leaking test in 1 file',
      expect.stringMatching(/^ {2}test +kind +left +per run +cause$/),
      expect.stringMatching(
        /^ {2}tests\/handles\.test\.ts > leaks: an interval that is never cleared +handle +1 handle +Timeout \(setInterval 60 s\) at tests\/handles\.test\.ts:4:3$/,
      ),
      '  2 tests checked by jest 30.5.2 on Node v20.20.2, 2026-03-01 09:30 UTC; shard 1 of 3',
      '',
    ])
  })

  test('merges the shards of a run into one table, one Markdown summary and one JSON report', async () => {
    const files = [
      'leakproof-report.shard-3-of-3.json',
      'leakproof-report.shard-1-of-3.json',
      'leakproof-report.shard-2-of-3.json',
    ]
    const run = await leakproof('report', ...files, '--json', 'merged.json')
    expect(run.code).toBe(0)
    expect(run.stderr).toBe('leakproof report: wrote merged.json (5 tests from 3 reports)\n')
    const lines = run.stdout.trimEnd().split('\n')
    expect(lines[0]).toBe('leakproof: 3 leaking tests in 3 files')
    expect(lines.slice(2, 5).map((l) => l.trim().split(/\s{2,}/)[0])).toEqual([
      'tests/retained.test.ts > leaks: Buffers kept in a module array',
      'tests/handles.test.ts > leaks: an interval that is never cleared',
      'tests/listeners.test.ts > leaks: a listener on a module-level bus',
    ])
    expect(lines.at(-1)).toBe(
      '  5 tests checked by jest 30.5.2 on Node v20.20.2; merged from 3 reports, the last made 2026-03-03 09:30 UTC',
    )

    const merged = JSON.parse(readFileSync(join(dir, 'merged.json'), 'utf8')) as LeakReport
    expect(merged).not.toHaveProperty('shard')
    expect(merged.tests).toEqual(shards.flatMap((s) => s.tests))
    expect(merged.createdAt).toBe('2026-03-03T09:30:00.000Z')
    const validate = new Ajv2020.default({ strict: false, validateFormats: false }).compile(
      JSON.parse(readFileSync(join(coreRoot, 'report-schema.json'), 'utf8')),
    )
    expect(validate(merged), JSON.stringify(validate.errors)).toBe(true)

    const markdown = await leakproof('report', ...files, '--markdown')
    expect(markdown.stdout).toContain('### leakproof: 3 leaking tests of 5 checked\n')
    expect(markdown.stdout).toContain(
      '| tests/listeners.test.ts > leaks: a listener on a module-level bus | listener | 1 listener |  | EventEmitter "user:created" at tests/listeners.test.ts:6:7 |',
    )
    expect(markdown.stdout).toContain('```mermaid\nxychart-beta\n')
    // The merged JSON reads back as the same run.
    expect((await leakproof('report', 'merged.json', '--markdown')).stdout).toBe(markdown.stdout)
  })

  test('the baseline is applied once over the merged shards: known leaks anywhere, fixed ones judged anywhere', async () => {
    // Recorded when the interval (shard 1) and a clean-now test (shard 3) leaked; shard 2's listener is new.
    write('team.baseline.json', {
      schemaVersion: 1,
      tool: { name: '@leakproof/core', version: '0.1.0' },
      createdAt: '2026-02-01T00:00:00.000Z',
      leaks: [
        { id: 'tests/handles.test.ts > leaks: an interval that is never cleared', kinds: ['handle'], count: 1 },
        { id: 'tests/clean.test.ts > clean: arithmetic', kinds: ['retained'], perRun: 1024 },
      ],
    })
    const files = [
      'leakproof-report.shard-1-of-3.json',
      'leakproof-report.shard-2-of-3.json',
      'leakproof-report.shard-3-of-3.json',
    ]
    const run = await leakproof('report', ...files, '--baseline', 'team.baseline.json', '--json', 'with-baseline.json')
    expect(run.code).toBe(0)
    expect(run.stdout).toContain(
      'leakproof: 0 known leaks in team.baseline.json passed\n  fixed since the baseline (1)',
    )
    expect(run.stdout).toContain('    tests/clean.test.ts > clean: arithmetic')
    const merged = JSON.parse(readFileSync(join(dir, 'with-baseline.json'), 'utf8')) as LeakReport
    expect(merged.baseline).toEqual({
      file: 'team.baseline.json',
      known: [],
      fixed: ['tests/clean.test.ts > clean: arithmetic'],
    })
  })

  test('--root shows the paths relative to another folder', async () => {
    const run = await leakproof('report', 'leakproof-report.shard-2-of-3.json', '--root', '/home/runner', '--markdown')
    expect(run.stdout).toContain('| EventEmitter "user:created" at work/app/app/tests/listeners.test.ts:6:7 |')
  })

  test('merging only some shards says which are missing', async () => {
    const run = await leakproof('report', 'leakproof-report.shard-1-of-3.json', 'leakproof-report.shard-3-of-3.json')
    expect(run.code).toBe(0)
    expect(run.stdout).toContain('leakproof: 2 leaking tests in 2 files')
    expect(run.stderr).toBe(
      'leakproof report: shard 2 of 3 is missing: the merged report has only the tests of the shards given\n',
    )
  })

  test('a run without leaks', async () => {
    write('clean.json', shardReport(1, [testReport(ci, `${ci}/tests/clean.test.ts`, 'clean: arithmetic', clean, 1)]))
    const run = await leakproof('report', 'clean.json')
    expect(run.stdout).toBe(
      'leakproof: no leaking tests\n  1 test checked by jest 30.5.2 on Node v20.20.2, 2026-03-01 09:30 UTC; shard 1 of 3\n',
    )
  })
})

describe('leakproof report refuses, one line naming the file, and writes nothing', () => {
  const first = 'leakproof-report.shard-1-of-3.json'
  const second = 'leakproof-report.shard-2-of-3.json'
  test.each<[string, () => string[], string]>([
    [
      'a missing file',
      () => [first, 'nope.json'],
      'leakproof: report nope.json does not exist or cannot be read; check the path.',
    ],
    [
      'corrupt JSON',
      () => [first, write('cut.json', JSON.stringify(shards[1]).slice(0, 100))],
      /^leakproof: cut\.json is not JSON \(.+\): was it cut short\? Take the report again from the run that wrote it\.$/
        .source,
    ],
    [
      'not a leakproof report',
      () => [write('package.json', { name: 'app', version: '1.0.0' })],
      'leakproof: package.json is not a leakproof report: it has no "tool": { "name": "@leakproof/core", "version" }.',
    ],
    [
      'a schema version from the future',
      () => [
        first,
        write('future.json', { ...shards[1], schemaVersion: 2, tool: { name: '@leakproof/core', version: '2.0.0' } }),
      ],
      'leakproof: future.json has schemaVersion 2, from a newer leakproof (2.0.0); this one reads version 1: update @leakproof/core to read it.',
    ],
    [
      'different leakproof versions',
      () => [first, write('older.json', { ...shards[1], tool: { name: '@leakproof/core', version: '0.0.9' } })],
      `leakproof: the reports were made by different leakproof versions: ${first} (0.1.0), older.json (0.0.9); make every shard's report with one version.`,
    ],
    [
      'different frameworks',
      () => [first, write('vitest.json', { ...shards[1], framework: { name: 'vitest', version: '4.1.12' } })],
      `leakproof: the reports are of different frameworks: ${first} (jest 30.5.2), vitest.json (vitest 4.1.12); merge only the shards of one run.`,
    ],
    [
      'the same shard twice',
      () => [first, write('again.json', { ...shards[1], shard: { index: 1, count: 3 } })],
      `leakproof: ${first} and again.json are both shard 1 of 3: give each shard's report once.`,
    ],
    [
      'overlapping shards',
      () => [first, write('overlap.json', { ...shards[1], tests: [...shards[1]!.tests, shards[0]!.tests[1]] })],
      `leakproof: ${first} and overlap.json both have test "tests/handles.test.ts > clean: a timer cleared": the shards overlap; merge the reports of one sharded run, each once.`,
    ],
    [
      'one file twice',
      () => [first, second, `./${first}`],
      `leakproof: ${first} is given twice (also as ./${first}); give each report once.`,
    ],
    [
      '--json over an input',
      () => [first, second, '--json', second],
      `leakproof: --json ${second} is one of the reports being read; write the merged report to another file.`,
    ],
  ])('%s (exit 1)', async (_, args, message) => {
    const out = write('out.json', '{"kept": true}\n')
    const given = args()
    const inputs = given.filter((a) => a.endsWith('.json'))
    const before = inputs.map((f) => {
      try {
        return readFileSync(join(dir, f), 'utf8')
      } catch {
        return undefined
      }
    })
    const run = await leakproof('report', ...given, ...(given.includes('--json') ? [] : ['--json', out]))
    if (message.startsWith('^')) {
      expect(run.stderr.trimEnd()).toMatch(new RegExp(message))
      expectOneLineError(run, 1, run.stderr.trimEnd())
    } else expectOneLineError(run, 1, message)
    expect(run.stderr).not.toMatch(/^\s*at /m)
    // Nothing written: the inputs as they were, the --json target untouched.
    expect(
      inputs.map((f) => {
        try {
          return readFileSync(join(dir, f), 'utf8')
        } catch {
          return undefined
        }
      }),
    ).toEqual(before)
    expect(readFileSync(join(dir, out), 'utf8')).toBe('{"kept": true}\n')
  })

  test('no report given (exit 2)', async () => {
    expectOneLineError(
      await leakproof('report'),
      2,
      'leakproof report: missing <report.json> (usage: leakproof report <report.json> [<report.json> …] [flags]). Run leakproof report --help.',
    )
  })
})
