import { describe, expect, test } from 'vitest'
import {
  mergeReports,
  newReport,
  parseReport,
  ReportError,
  reportRoot,
  shardReportFile,
  testReport,
  type Finding,
  type LeakReport,
  type SavedReport,
} from '../src/index.js'

const root = '/home/runner/work/app/app'
const handle: Finding = {
  kind: 'handle',
  type: 'Timeout',
  description: 'Timeout (setInterval 60 s)',
  createdAt: { file: `${root}/tests/a.test.ts`, line: 4, column: 3 },
  stack: 'Error\n    at x',
  severity: 'error',
}
const clean = { state: 'clean' as const, findings: [], notes: [] }
const vitest = { name: 'vitest' as const, version: '4.1.12' }

function shard(index: number, count: number, files: string[], overrides: Partial<LeakReport> = {}): SavedReport {
  const tests = files.flatMap((f) => [
    testReport(root, `${root}/${f}`, 'leaks: one', { state: 'leak', findings: [handle], notes: [] }, 3),
    testReport(root, `${root}/${f}`, 'clean: one', clean, 7),
  ])
  return {
    file: `shard-${index}.json`,
    report: {
      ...newReport(vitest, tests, { index, count }),
      createdAt: `2026-01-0${index}T10:00:00.000Z`,
      ...overrides,
    },
  }
}

/** The ReportError mergeReports or parseReport throws, to assert its code, message and files. */
function refusal(fn: () => unknown): ReportError {
  try {
    fn()
  } catch (error) {
    if (error instanceof ReportError) return error
    throw error
  }
  throw new Error('accepted')
}

describe('mergeReports', () => {
  test('the shards of one run: every test once, in shard order, no shard field, stamped at the last shard', () => {
    const { report, missingShards, shardCount } = mergeReports([
      shard(3, 3, ['tests/c.test.ts']),
      shard(1, 3, ['tests/a.test.ts']),
      shard(2, 3, ['tests/b.test.ts']),
    ])
    expect(report.tests.map((t) => t.id)).toEqual([
      'tests/a.test.ts > leaks: one',
      'tests/a.test.ts > clean: one',
      'tests/b.test.ts > leaks: one',
      'tests/b.test.ts > clean: one',
      'tests/c.test.ts > leaks: one',
      'tests/c.test.ts > clean: one',
    ])
    expect(report).not.toHaveProperty('shard')
    expect(report).toMatchObject({
      schemaVersion: 1,
      tool: { name: '@leakproof/core' },
      framework: vitest,
      createdAt: '2026-01-03T10:00:00.000Z',
    })
    expect(missingShards).toEqual([])
    expect(shardCount).toBe(3)
  })

  test('one report is returned as it is, its shard kept', () => {
    const one = shard(2, 3, ['tests/b.test.ts'])
    expect(mergeReports([one])).toEqual({ report: one.report, missingShards: [] })
  })

  test('shards not given are named', () => {
    expect(mergeReports([shard(1, 4, ['tests/a.test.ts']), shard(3, 4, ['tests/c.test.ts'])]).missingShards).toEqual([
      2, 4,
    ])
  })

  test.each<[string, SavedReport[], ReportError['code'], string, string[]]>([
    [
      'different leakproof versions',
      [
        shard(1, 2, ['tests/a.test.ts']),
        shard(2, 2, ['tests/b.test.ts'], { tool: { name: '@leakproof/core', version: '0.2.0' } }),
      ],
      'different-tools',
      "the reports were made by different leakproof versions: shard-1.json (0.1.0), shard-2.json (0.2.0); make every shard's report with one version",
      ['shard-1.json', 'shard-2.json'],
    ],
    [
      'different frameworks',
      [
        shard(1, 2, ['tests/a.test.ts']),
        shard(2, 2, ['tests/b.test.ts'], { framework: { name: 'jest', version: '30.5.2' } }),
      ],
      'different-frameworks',
      'the reports are of different frameworks: shard-1.json (vitest 4.1.12), shard-2.json (jest 30.5.2); merge only the shards of one run',
      ['shard-1.json', 'shard-2.json'],
    ],
    [
      'different framework versions',
      [
        shard(1, 2, ['tests/a.test.ts']),
        shard(2, 2, ['tests/b.test.ts'], { framework: { name: 'vitest', version: '4.0.0' } }),
      ],
      'different-frameworks',
      'shard-1.json (vitest 4.1.12), shard-2.json (vitest 4.0.0)',
      ['shard-1.json', 'shard-2.json'],
    ],
    [
      'different splits',
      [shard(1, 3, ['tests/a.test.ts']), shard(2, 4, ['tests/b.test.ts'])],
      'different-splits',
      'the reports are shards of different splits: shard-1.json (shard 1 of 3), shard-2.json (shard 2 of 4); merge the shards of one run',
      ['shard-1.json', 'shard-2.json'],
    ],
    [
      'the same shard twice',
      [shard(2, 3, ['tests/a.test.ts']), { ...shard(2, 3, ['tests/b.test.ts']), file: 'copy.json' }],
      'same-shard',
      "shard-2.json and copy.json are both shard 2 of 3: give each shard's report once",
      ['shard-2.json', 'copy.json'],
    ],
    [
      'the same test in two shards',
      [shard(1, 3, ['tests/a.test.ts', 'tests/b.test.ts']), shard(2, 3, ['tests/b.test.ts'])],
      'same-test',
      'shard-1.json and shard-2.json both have test "tests/b.test.ts > leaks: one" (and 1 more): the shards overlap; merge the reports of one sharded run, each once',
      ['shard-1.json', 'shard-2.json'],
    ],
    [
      'a whole run with one of its shards',
      [
        {
          ...shard(1, 2, ['tests/a.test.ts', 'tests/b.test.ts']),
          file: 'whole.json',
          report: { ...shard(1, 2, ['tests/a.test.ts', 'tests/b.test.ts']).report, shard: undefined },
        },
        shard(2, 2, ['tests/b.test.ts']),
      ],
      'same-test',
      'shard-2.json and whole.json both have test "tests/b.test.ts > leaks: one"',
      ['shard-2.json', 'whole.json'],
    ],
  ])('refuses %s, naming the files', (_, inputs, code, message, files) => {
    const error = refusal(() => mergeReports(inputs))
    expect(error.code).toBe(code)
    expect(error.message).toContain(message)
    expect(error.files).toEqual(files)
  })
})

describe('parseReport', () => {
  const good = shard(1, 2, ['tests/a.test.ts']).report
  const text = (value: unknown): string => JSON.stringify(value)

  test('a saved report reads back as it was written', () => {
    expect(parseReport(text(good), 'r.json')).toEqual(good)
  })

  test.each<[string, string, ReportError['code'], string]>([
    ['cut short', text(good).slice(0, 80), 'not-json', 'r.json is not JSON ('],
    ['empty', '', 'not-json', 'r.json is not JSON (it is empty): was it cut short?'],
    ['a list', '[]', 'not-a-report', 'r.json is not a leakproof report: it holds a list, not an object'],
    [
      "another tool's JSON",
      text({ name: 'app', version: '1.0.0' }),
      'not-a-report',
      'r.json is not a leakproof report: it has no "tool": { "name": "@leakproof/core", "version" }',
    ],
    [
      'from the future',
      text({ ...good, schemaVersion: 2, tool: { name: '@leakproof/core', version: '3.0.0' } }),
      'future-schema',
      'r.json has schemaVersion 2, from a newer leakproof (3.0.0); this one reads version 1: update @leakproof/core to read it',
    ],
    [
      'a schemaVersion that is not one',
      text({ ...good, schemaVersion: '1' }),
      'not-a-report',
      'its schemaVersion is "1", not a version number',
    ],
    [
      'a hand-edited verdict',
      text({ ...good, tests: [good.tests[0], { ...good.tests[1], verdict: 'fine' }] }),
      'not-a-report',
      'r.json is not a leakproof report: tests[1] (tests/a.test.ts > clean: one) has verdict "fine", not one of clean, leak, skipped, warn',
    ],
    [
      'a test without an id',
      text({ ...good, tests: [{ ...good.tests[0], id: undefined }] }),
      'not-a-report',
      'tests[0] has no "id"',
    ],
    [
      'a bad shard',
      text({ ...good, shard: { index: 4, count: 3 } }),
      'not-a-report',
      'its "shard" is {"index":4,"count":3}, not { "index", "count" } with 1 ≤ index ≤ count',
    ],
    [
      'an unknown framework',
      text({ ...good, framework: { name: 'mocha', version: '1' } }),
      'not-a-report',
      'its "framework" is not',
    ],
  ])('refuses a report %s, naming the file', (_, input, code, message) => {
    const error = refusal(() => parseReport(input, 'r.json'))
    expect(error.code).toBe(code)
    expect(error.message).toContain(message)
    expect(error.message.split('\n')).toHaveLength(1)
    expect(error.files).toEqual(['r.json'])
  })
})

describe('around the report files', () => {
  test('a shard writes its report beside the configured file, tagged with its index', () => {
    expect(shardReportFile('leakproof-report.json', { index: 2, count: 3 })).toBe('leakproof-report.shard-2-of-3.json')
    expect(shardReportFile('reports/v1.2/leaks.json', { index: 1, count: 12 })).toBe(
      'reports/v1.2/leaks.shard-1-of-12.json',
    )
    expect(shardReportFile('reports/leaks', { index: 1, count: 2 })).toBe('reports/leaks.shard-1-of-2')
    expect(shardReportFile('reports/.leaks', { index: 1, count: 2 })).toBe('reports/.leaks.shard-1-of-2')
    expect(shardReportFile('leakproof-report.json', undefined)).toBe('leakproof-report.json')
  })

  test("the root of the run that made a report, from its findings' absolute files", () => {
    expect(reportRoot(shard(1, 1, ['tests/a.test.ts']).report)).toBe(root)
    expect(
      reportRoot(newReport(vitest, [testReport(root, `${root}/tests/a.test.ts`, 'clean: one', clean)])),
    ).toBeUndefined()
  })
})
