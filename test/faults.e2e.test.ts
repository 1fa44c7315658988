import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, expect, test } from 'vitest'
import { fixturesDir, runJest, runVitest, type FixtureRun } from './helpers/run-fixture.js'

// fixtures/faults: a worker killed while leakproof re-runs a leaking test to confirm it.
const frameworks = (process.env.LEAKPROOF_FRAMEWORKS ?? 'vitest,jest').split(',')
const reportFile = join(fixturesDir, 'faults', 'leakproof-report.json')

const RUNS: Record<string, () => FixtureRun> = {
  vitest: () => runVitest('faults'),
  jest: () => {
    // Worker processes (Jest runs one file in band, and a fast suite with known timings too).
    const cache = mkdtempSync(join(tmpdir(), 'leakproof-jest-cache-'))
    try {
      return runJest('faults', { args: ['-w', '2', '--cacheDirectory', cache] })
    } finally {
      rmSync(cache, { recursive: true, force: true })
    }
  },
}

describe.each(frameworks)('a worker that dies mid-check, under %s', (framework) => {
  test('the run names the test being checked, keeps the other files and still writes the report', () => {
    rmSync(reportFile, { force: true })
    const run = RUNS[framework]!()
    expect(run.exitCode).toBe(1)
    expect(run.output).toContain(
      "leakproof: a worker died while leakproof was checking a test (see the framework's error for the file; the other files' results are kept)",
    )
    expect(run.output).toContain(
      'tests/dies-mid-check.test.js > leaks: its worker is killed while leakproof re-runs it: re-running it to tell a first use from a leak',
    )
    expect(run.tests.get('tests/other-file.test.js > leaks: an interval that is never cleared')?.message).toContain(
      'Timeout (setInterval 60 s) created at tests/other-file.test.js:7:3',
    )
    expect(run.tests.get('tests/other-file.test.js > clean: a cleared timer')?.status).toBe('passed')
    const report = JSON.parse(readFileSync(reportFile, 'utf8')) as {
      tests: Array<{ id: string; verdict: string; interrupted?: string }>
    }
    expect(
      report.tests.find(
        (t) => t.id === 'tests/dies-mid-check.test.js > leaks: its worker is killed while leakproof re-runs it',
      ),
    ).toMatchObject({
      verdict: 'skipped',
      interrupted: 're-running it to tell a first use from a leak',
    })
    expect(
      report.tests.find((t) => t.id === 'tests/other-file.test.js > leaks: an interval that is never cleared')?.verdict,
    ).toBe('leak')
  })
})
