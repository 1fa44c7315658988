import { describe, expect, test } from 'vitest'
import { failed, named, runJest, runVitest, type FixtureRun } from './helpers/run-fixture.js'

/** Ignore rules by global name, by frame (a vendor module), by listener event — each reason in the summary. */
const frameworks = (process.env.LEAKPROOF_FRAMEWORKS ?? 'vitest,jest').split(',')
const RUNS: Record<string, () => FixtureRun> = { vitest: () => runVitest('ignore'), jest: () => runJest('ignore') }

describe.each(frameworks)('ignore rules under %s', (framework) => {
  test('what the rules name passes, with the reasons in the summary; an unnamed leak still fails', () => {
    const run = RUNS[framework]!()
    expect(failed(run)).toEqual(['tests/ignored.test.js > leaks: an interval of its own is still a leak'])
    for (const name of named(run, 'clean:')) expect(run.tests.get(name)?.status, name).toBe('passed')
    expect(run.output).toContain(
      [
        'leakproof: 3 findings ignored by your rules',
        '  the app shell defines it once per worker: added global __APP_CACHE__',
        '  vendor poller, stopped by the global teardown (VENDOR-123): left 1 handle open',
        '  nodemon restarts on SIGUSR2: left 1 listener registered',
      ].join('\n'),
    )
  })
})
