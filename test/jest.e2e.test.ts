import { spawn } from 'node:child_process'
import { utimesSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, test } from 'vitest'
import { failed, fixturesDir, jestBin, runJest } from './helpers/run-fixture.js'

/** What only Jest has: docblock options, custom environments, jsdom, fake timers, its own flags. */
describe('Jest-only set-ups (fixtures/corpus/tests/jest-only)', () => {
  const run = (file: string, args: string[] = []) => runJest('corpus', { files: [`tests/jest-only/${file}`], args })

  test('a docblock with jest-environment-options sets the file budget', () => {
    const result = run('docblock-options.test.ts')
    expect(failed(result)).toEqual([
      'tests/jest-only/docblock-options.test.ts > leaks: 6 MB per run is over the docblock budget',
    ])
    expect(result.tests.get(failed(result)[0]!)?.message).toMatch(
      /^LeakError: retained [\d.]+ MB across 3 runs \(\+[\d.]+ MB per run, budget 4\.0 MB\)/,
    )
  })

  test('withLeakproof() adds leakproof to a custom environment, which keeps its own setup and events', () => {
    const result = run('custom-environment.test.ts')
    expect(
      result.tests.get(
        'tests/jest-only/custom-environment.test.ts > clean: the custom environment set up its global and still sees its own events',
      )?.status,
    ).toBe('passed')
    expect(failed(result)).toEqual([
      'tests/jest-only/custom-environment.test.ts > leaks: an interval under a custom environment',
    ])
    expect(result.tests.get(failed(result)[0]!)?.message).toContain(
      'Timeout (setInterval 60 s) created at tests/jest-only/custom-environment.test.ts:14:3',
    )
  })

  test('@leakproof/jest/jsdom: handles and new window properties, clean DOM work passes', () => {
    const result = run('jsdom.test.ts')
    expect(failed(result)).toEqual([
      'tests/jest-only/jsdom.test.ts > leaks: a new property on the window',
      'tests/jest-only/jsdom.test.ts > leaks: an interval started through the window',
    ])
    expect(result.tests.get('tests/jest-only/jsdom.test.ts > leaks: a new property on the window')?.message).toContain(
      'globalThis.leakedStore (object)',
    )
    expect(
      result.tests.get('tests/jest-only/jsdom.test.ts > leaks: an interval started through the window')?.message,
    ).toContain('created at tests/jest-only/jsdom.test.ts:6:10')
    expect(
      result.tests.get('tests/jest-only/jsdom.test.ts > clean: a subtree built, attached and removed')?.status,
    ).toBe('passed')
  })

  test('fake timers (modern and legacy) are not handles; a real timer left after them is', () => {
    const result = run('fake-timers.test.ts')
    expect(failed(result)).toEqual([
      'tests/jest-only/fake-timers.test.ts > leaks: a real interval started after fake timers were put back',
    ])
    expect(result.output).not.toContain('not confirmed')
  })
})

describe("Jest's own flags keep working", () => {
  const files = ['tests/handles.test.ts', 'tests/retained.test.ts', 'tests/snapshots.test.ts']
  const expected = [
    'tests/handles.test.ts > leaks: a server that is never closed',
    'tests/handles.test.ts > leaks: an interval that is never cleared',
    'tests/handles.test.ts > leaks: an unref timer is still left behind',
    'tests/retained.test.ts > leaks: Buffers kept in a module array (external memory)',
    'tests/retained.test.ts > leaks: an unbounded cache grows on every run',
  ]

  test('--detectOpenHandles: the same verdicts, and Jest still lists the open handles', () => {
    const result = runJest('corpus', { files, args: ['--detectOpenHandles'] })
    expect(failed(result)).toEqual(expected)
    expect(result.output).toMatch(/Jest has detected the following \d+ open handles?/)
  })

  test('--coverage (Babel instrumentation): the same verdicts and lines, and a coverage table', () => {
    const result = runJest('corpus', {
      files,
      args: [
        '--coverage',
        '--coverageReporters=text-summary',
        `--coverageDirectory=${join(fixturesDir, '..', 'node_modules', '.coverage-e2e')}`,
      ],
    })
    expect(failed(result)).toEqual(expected)
    expect(result.tests.get(expected[1]!)?.message).toContain('created at tests/handles.test.ts:4:3')
    expect(result.output).toContain('Coverage summary')
  })

  test('--watchAll: a re-run after a change gives the same verdicts, nothing carried over', async () => {
    const root = join(fixturesDir, 'corpus')
    const child = spawn(
      process.env.LEAKPROOF_NODE ?? process.execPath,
      [jestBin(), '--config', join(root, 'jest.config.cjs'), '--watchAll', 'tests/handles.test.ts'],
      {
        cwd: root,
        env: { ...process.env, NO_COLOR: '1', FORCE_COLOR: '0', CI: '' },
      },
    )
    let output = ''
    const runs = (): string[] => output.split('Ran all test suites').slice(0, -1)
    const waitForRuns = (n: number): Promise<void> =>
      new Promise((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`no run ${n} within 120 s:\n${output}`)), 120_000)
        const check = (): void => {
          if (runs().length >= n) {
            clearTimeout(timer)
            resolve()
          }
        }
        child.stdout.on('data', check)
        child.stderr.on('data', check)
        check()
      })
    child.stdout.on('data', (d: Buffer) => (output += d))
    child.stderr.on('data', (d: Buffer) => (output += d))
    try {
      await waitForRuns(1)
      const now = new Date()
      utimesSync(join(root, 'tests/handles.test.ts'), now, now)
      await waitForRuns(2)
    } finally {
      child.kill()
    }
    for (const run of runs()) {
      expect(run).toContain('Tests:       3 failed, 3 passed, 6 total')
      expect(run).toContain('leakproof: 3 leaking tests in 1 file')
    }
  })
})

describe('options', () => {
  test('a malformed size fails every file before its tests run, naming the option and the value', () => {
    const result = runJest('jest-bad-options')
    expect(result.exitCode).toBe(1)
    expect(result.output).toContain(
      'LeakproofConfigError: leakproof: option "testEnvironmentOptions.leakproof.budget" is "2 MBs"; expected a size such as "512 KB" or "2 MB"',
    )
    expect(result.output).not.toMatch(/at \S*packages[\\/]core/)
    expect(result.output).toContain('Tests:       0 total')
  })

  test("the reporter's reportFile given to the environment is refused, saying where it goes", () => {
    const result = runJest('jest-bad-options', { env: { LEAKPROOF_BAD_OPTION: 'reportFile' } })
    expect(result.exitCode).toBe(1)
    expect(result.output).toContain(
      `LeakproofConfigError: leakproof: option "testEnvironmentOptions.leakproof.reportFile" is "reports/leaks.json"; expected to be an option of the reporter, which writes the report: reporters: ['default', ['@leakproof/jest/reporter', { reportFile: "reports/leaks.json" }]]`,
    )
  })
})
