import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import Ajv2020 from 'ajv/dist/2020.js'
import { describe, expect, test } from 'vitest'
import {
  escapeData,
  escapeProperty,
  formatTerminalSummary,
  githubAnnotations,
  markdownSummary,
  newReport,
  testReport,
  type Finding,
  type Verdict,
} from '../src/index.js'
import { heldEnvironments } from './findings-helpers.js'

const root = '/repo'
const handle: Finding = {
  kind: 'handle',
  type: 'Timeout',
  description: 'Timeout (setInterval 60 s)',
  createdAt: { file: '/repo/tests/a,b:c.test.ts', line: 4, column: 3 },
  stack: 'Error\n    at x',
  severity: 'error',
}
const retained: Finding = {
  kind: 'retained',
  bytes: 9 * 2 ** 20,
  runs: 3,
  perRun: 3 * 2 ** 20,
  minPerRun: 3 * 2 ** 20 - 10,
  budget: 0,
  confirmed: true,
  severity: 'error',
  sites: [
    { bytes: 2 ** 20, functionName: 'getUser', location: { file: '/repo/src/user-cache.ts', line: 11, column: 17 } },
  ],
  retainedBy: {
    text: '  retained by …',
    groups: [{ name: 'Object {a}', count: 3, selfSize: 10, retainedSize: 20 }],
    paths: [
      {
        group: 'Object {a}',
        id: 7,
        distance: 5,
        steps: [
          { edge: '', node: 'module', file: '/repo/src/user-cache.ts' },
          { edge: 'cache', node: 'Map (3 entries)' },
          { edge: 'value', node: 'Object {a}', count: 3, size: 20 },
        ],
      },
    ],
  },
}
const leak = (...findings: Finding[]): Verdict => ({ state: 'leak', findings, notes: [] })
const report = newReport({ name: 'vitest', version: '4.1.12' }, [
  testReport(root, '/repo/tests/a,b:c.test.ts', 'timers > leaks: 100% of intervals', leak(handle), 3),
  testReport(root, '/repo/tests/cache.test.ts', 'leaks: cache', leak(retained), 9),
  testReport(root, '/repo/tests/cache.test.ts', 'clean: fine', { state: 'clean', findings: [], notes: [] }, 12),
])

describe('the run report', () => {
  test('validates against the JSON Schema shipped in the package', () => {
    const schema = JSON.parse(readFileSync(join(import.meta.dirname, '..', 'report-schema.json'), 'utf8'))
    const validate = new Ajv2020.default({ strict: false }).compile(schema)
    expect(validate(JSON.parse(JSON.stringify(report))), JSON.stringify(validate.errors)).toBe(true)
    expect(validate({ ...report, schemaVersion: 2 })).toBe(false)
  })

  test('the terminal table: biggest retained first, kinds, sizes, per run and the holder', () => {
    const text = formatTerminalSummary(report, { root, color: false })
    expect(text.split('\n')).toEqual([
      'leakproof: 2 leaking tests in 2 files',
      expect.stringMatching(/^ {2}test +kind +left +per run +cause$/),
      expect.stringMatching(
        /^ {2}tests\/cache\.test\.ts > leaks: cache +retained +9\.0 MB +\+3\.0 MB +module src\/user-cache\.ts → cache Map \(3 entries\)$/,
      ),
      expect.stringMatching(
        /^ {2}tests\/a,b:c\.test\.ts > timers > leaks: 100% of intervals +handle +1 handle +Timeout \(setInterval 60 s\) at tests\/a,b:c\.test\.ts:4:3$/,
      ),
    ])
    expect(formatTerminalSummary(newReport({ name: 'jest', version: '30' }, []), { root, color: false })).toBe('')
  })

  test('workflow commands escape %, CR, LF, and in properties : and ,', () => {
    expect(escapeData('100%\r\nnext')).toBe('100%25%0D%0Anext')
    expect(escapeProperty('tests/a,b:c.ts')).toBe('tests/a%2Cb%3Ac.ts')
  })

  test('annotations: one at each leaking test, one where the leak was made; only the latter when the framework annotates tests', () => {
    expect(githubAnnotations(report, { root, frameworkAnnotatesTests: false })).toEqual([
      '::error file=tests/a%2Cb%3Ac.test.ts,line=3,title=leakproof%3A timers > leaks%3A 100%25 of intervals::left 1 handle open',
      '::error file=tests/a%2Cb%3Ac.test.ts,line=4,col=3,title=leakproof%3A timers > leaks%3A 100%25 of intervals (left here)::left 1 handle open',
      '::error file=tests/cache.test.ts,line=9,title=leakproof%3A leaks%3A cache::retained 9.0 MB across 3 runs (+3.0 MB per run, budget 0 B)',
      '::error file=src/user-cache.ts,line=11,col=17,title=leakproof%3A leaks%3A cache (left here)::retained 9.0 MB across 3 runs (+3.0 MB per run, budget 0 B)',
    ])
    expect(githubAnnotations(report, { root, frameworkAnnotatesTests: true })).toHaveLength(2)
  })

  test('the Markdown summary: a table with escaped cells and a Mermaid chart of memory per run', () => {
    const md = markdownSummary(report, root)
    expect(md).toContain('### leakproof: 2 leaking tests of 3 checked')
    expect(md).toContain(
      '| tests/cache.test.ts > leaks: cache | retained | 9.0 MB | +3.0 MB | module src/user-cache.ts → cache Map (3 entries) |',
    )
    expect(md).toContain(
      '```mermaid\nxychart-beta\n  title "Memory kept per run (KB), biggest leaks"\n  x-axis ["leaks: cache"]\n  y-axis "KB per run"\n  bar [3072]\n```',
    )
  })

  test("a file's environment held by a patch: in the schema, in the table with its size, annotated at the patch's line", () => {
    const environment = heldEnvironments(root, 12 * 2 ** 20)
    const held = newReport({ name: 'jest', version: '30.5.2' }, [
      testReport(root, '/repo/tests/a.test.ts', '', leak(environment)),
    ])
    const schema = JSON.parse(readFileSync(join(import.meta.dirname, '..', 'report-schema.json'), 'utf8'))
    const validate = new Ajv2020.default({ strict: false }).compile(schema)
    expect(validate(JSON.parse(JSON.stringify(held))), JSON.stringify(validate.errors)).toBe(true)
    expect(
      validate(
        JSON.parse(
          JSON.stringify({
            ...held,
            tests: [{ ...held.tests[0], findings: [{ ...environment, retainedSize: '12 MB' }] }],
          }),
        ),
      ),
    ).toBe(false)
    expect(formatTerminalSummary(held, { root, color: false }).split('\n')[2]).toMatch(
      /^ {2}tests\/a\.test\.ts \(after all\) +environment +2 files, 12 MB +held by the function written at src\/fs-retry\.ts:6:34$/,
    )
    // Held by a dependency's function outside the project (hoisted above it): where it is, all the same.
    const hoisted = newReport({ name: 'jest', version: '30.5.2' }, [
      testReport(
        root,
        '/repo/tests/a.test.ts',
        '',
        leak(
          heldEnvironments(root, 12 * 2 ** 20, { file: '/node_modules/retry-fs/lib/index.js', line: 6, column: 47 }),
        ),
      ),
    ])
    expect(formatTerminalSummary(hoisted, { root, color: false }).split('\n')[2]).toMatch(
      /held by the function written at node_modules\/retry-fs\/lib\/index\.js:6:47$/,
    )
    expect(githubAnnotations(held, { root, frameworkAnnotatesTests: false })).toEqual([
      "::error file=tests/a.test.ts,title=leakproof%3A tests/a.test.ts (after all its tests)::the same thing holds 2 test files' whole environments alive after they ended",
      "::error file=src/fs-retry.ts,line=6,col=34,title=leakproof%3A tests/a.test.ts (after all its tests) (left here)::the same thing holds 2 test files' whole environments alive after they ended",
    ])
  })
})
