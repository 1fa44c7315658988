import { beforeAll, describe, expect, test } from 'vitest'
import { failed, runJest, runVitest, type FixtureRun } from './helpers/run-fixture.js'

// fixtures/suites: the suites people write — concurrent tests, timeouts, inline snapshots, fake
// timers, retries and repeats, mocks and spies — under both frameworks.
const frameworks = (process.env.LEAKPROOF_FRAMEWORKS ?? 'vitest,jest').split(',')

const timeoutMessage = { vitest: /Test timed out in 300ms/, jest: /Exceeded timeout of 300 ms/ }

function expectedFailures(framework: 'vitest' | 'jest'): string[] {
  const own = framework === 'vitest' ? 'tests/vitest' : 'tests/jest'
  return [
    `${own}/mocks.test.ts > leaks: a spy left on console keeps every call`,
    `${own}/retry.test.ts > leaks: fails once, then keeps 2 MB per run on the attempt that passes`,
    ...(framework === 'vitest' ? [`${own}/retry.test.ts > leaks: repeated, leaves a process listener every time`] : []),
    'tests/shared/keep-alive.test.ts > leaks: its request starts a 5 s timer on the server that outlives it',
    'tests/shared/libraries.test.ts > leaks: a library that starts a timer on every call',
    'tests/shared/libraries.test.ts > leaks: starts a retry chain and does not wait for it',
    'tests/shared/snapshots.test.ts > leaks: matches its inline snapshot, and keeps 2 MB per run',
    'tests/shared/timeout.test.ts > fails on its own: times out after leaving an interval',
    ...(framework === 'vitest'
      ? ['tests/vitest/fake-timers.test.ts > leaks: a real interval started after fake timers were put back']
      : []),
  ].sort()
}

for (const framework of ['vitest', 'jest'] as const) {
  describe.skipIf(!frameworks.includes(framework))(`fixtures/suites under ${framework}`, () => {
    let run: FixtureRun
    const message = (name: string): string => run.tests.get(name)?.message ?? ''
    beforeAll(() => {
      run = framework === 'vitest' ? runVitest('suites') : runJest('suites')
    })

    test('exactly the leaking tests and the failing ones fail', () => {
      expect(failed(run)).toEqual(expectedFailures(framework))
      expect(run.exitCode).toBe(1)
    })

    test('a budget rule whose files match no test file is a warning that names it', () => {
      const which = framework === 'vitest' ? "this project's test files" : 'the test files this run ran'
      expect(run.output).toContain(
        `leakproof: option "budgets[0].files" is "tests/perf/**", which matches none of ${which}`,
      )
    })

    test('concurrent tests are judged with their file, and none of them is blamed', () => {
      for (const [name, outcome] of run.tests)
        if (name.startsWith('tests/shared/concurrent.test.ts')) expect(outcome.status, name).toBe('passed')
      const file = run.files.get('tests/shared/concurrent.test.ts') ?? ''
      expect(file).toContain('left 1 handle open')
      expect(file).toContain('Timeout (setInterval 60 s) created at tests/shared/concurrent.test.ts:8:3')
      expect(run.output).toContain('2 concurrent tests are judged with this file, not one by one')
    })

    test('servers on new ports asked with fetch: no test is a suspect for the pools fetch keeps of closed origins', () => {
      for (const [name, outcome] of run.tests)
        if (name.startsWith('tests/shared/fetch-origins.test.ts')) expect(outcome.status, name).toBe('passed')
      // Before, each test's three pools a run read as retained memory: re-runs and heap snapshots, then a note.
      expect(run.output).not.toMatch(/fetch-origins\.test\.ts[^\n]*\n\s+note:/)
    })

    test("what real suites do that is not a leak passes; a chain left running is its test's, not the next one's", () => {
      for (const [name, outcome] of run.tests)
        if (name.startsWith('tests/shared/libraries.test.ts > clean:')) expect(outcome.status, name).toBe('passed')
      // Made inside the library: its own frame, and the test's line that called it.
      expect(message('tests/shared/libraries.test.ts > leaks: a library that starts a timer on every call')).toMatch(
        /Timeout \(setInterval 15 s\) created at node_modules\/lazy-housekeeping\/index\.js:10:3 \(pollForever\)\n +inside dependency lazy-housekeeping 1\.0\.0, called from tests\/shared\/libraries\.test\.ts:27:/,
      )
      expect(
        message('tests/shared/libraries.test.ts > leaks: starts a retry chain and does not wait for it'),
      ).toContain('Timeout (setTimeout 5 s) created at tests/shared/libraries.test.ts:42:34')
      // A request on a keep-alive connection an earlier test opened is the doing of the test that sent it.
      expect(
        message(
          'tests/shared/keep-alive.test.ts > leaks: its request starts a 5 s timer on the server that outlives it',
        ),
      ).toContain('Timeout (setTimeout 5 s) created at tests/shared/keep-alive.test.ts:12:7')
      // Re-runs are silent: the test's console line is printed by its own run only.
      expect(run.output.match(/printed once, not again by re-runs/g)).toHaveLength(1)
    })

    test('a test that times out reports its timeout, with no leak verdict on top', () => {
      const timedOut = message('tests/shared/timeout.test.ts > fails on its own: times out after leaving an interval')
      // Vitest's JSON report has the timeout's stack, its terminal output the message.
      expect(framework === 'vitest' ? run.output : timedOut).toMatch(timeoutMessage[framework])
      expect(timedOut).not.toContain('LeakError')
      expect(run.files.has('tests/shared/timeout.test.ts')).toBe(false)
    })

    test('inline snapshots match again in the re-runs; the leak beside them is confirmed', () => {
      expect(
        message('tests/shared/snapshots.test.ts > leaks: matches its inline snapshot, and keeps 2 MB per run'),
      ).toMatch(/^LeakError: retained [\d.]+ MB across 3 runs/)
      expect(run.output).not.toContain('re-running the test failed')
      expect(run.output).not.toMatch(/Snapshots\s*:?\s+.*(written|obsolete|updated)/)
    })

    test('a retried test is judged on the attempt that passed; re-runs are not retries', () => {
      const own = framework === 'vitest' ? 'tests/vitest' : 'tests/jest'
      expect(run.tests.get(`${own}/retry.test.ts > clean: fails once, passes on its retry`)?.status).toBe('passed')
      // Vitest lists every attempt's error (a LeakError ends its retries), Jest the last attempt's.
      const leak = message(
        `${own}/retry.test.ts > leaks: fails once, then keeps 2 MB per run on the attempt that passes`,
      )
      expect(leak.match(/LeakError: retained [\d.]+ MB across 3 runs/g)).toHaveLength(1)
      expect(leak.match(/flaky on the first attempt/g)?.length ?? 0).toBe(framework === 'vitest' ? 1 : 0)
      expect([...run.tests.keys()].filter((k) => k.startsWith(`${own}/retry.test.ts`)).length).toBe(
        framework === 'vitest' ? 4 : 2,
      )
    })

    test("mocks are the framework's bookkeeping; a spy left on a global is reported with the advice to restore it", () => {
      const own = framework === 'vitest' ? 'tests/vitest' : 'tests/jest'
      for (const [name, outcome] of run.tests)
        if (name.startsWith(`${own}/mocks.test.ts > clean:`)) expect(outcome.status, name).toBe('passed')
      const spy = message(`${own}/mocks.test.ts > leaks: a spy left on console keeps every call`)
      expect(spy).toMatch(/^LeakError: retained [\d.]+ (KB|MB) across 3 runs/)
      expect(spy).toContain('console.debug is a spy left in place, recording every call of the re-runs.')
      expect(spy).toContain('mockRestore()')
    })

    test.runIf(framework === 'vitest')('describe.concurrent: its tests are judged with their file too', () => {
      for (const [name, outcome] of run.tests)
        if (name.startsWith('tests/vitest/describe-concurrent.test.ts')) expect(outcome.status, name).toBe('passed')
      expect(run.files.get('tests/vitest/describe-concurrent.test.ts')).toContain(
        'process "SIGUSR2" added at tests/vitest/describe-concurrent.test.ts:10:13',
      )
    })

    test.runIf(framework === 'vitest')('fake timers are not handles; a real timer left after them is', () => {
      expect(run.tests.get('tests/vitest/fake-timers.test.ts > clean: an interval on fake timers')?.status).toBe(
        'passed',
      )
      expect(
        run.tests.get('tests/vitest/fake-timers.test.ts > clean: fake timers left on by the test, cleared in afterEach')
          ?.status,
      ).toBe('passed')
      expect(
        message('tests/vitest/fake-timers.test.ts > leaks: a real interval started after fake timers were put back'),
      ).toContain('Timeout (setInterval 60 s) created at tests/vitest/fake-timers.test.ts:23:3')
    })

    test.runIf(framework === 'vitest')('repeats: each repetition is judged; no extra tests appear', () => {
      expect(run.tests.get('tests/vitest/retry.test.ts > clean: repeated three times')?.status).toBe('passed')
      expect(message('tests/vitest/retry.test.ts > leaks: repeated, leaves a process listener every time')).toContain(
        'process "SIGUSR2" added at tests/vitest/retry.test.ts:24:11',
      )
    })
  })
}

// The same suite in Vitest's other pools and without isolation: the same tests fail, with the
// same concurrent-file verdict. A slow matrix: .ci/run sets LEAKPROOF_POOL_MATRIX, `npm test` skips it.
describe.runIf(frameworks.includes('vitest') && process.env.LEAKPROOF_POOL_MATRIX)(
  'fixtures/suites in other Vitest pools',
  () => {
    for (const args of [['--pool=vmThreads'], ['--pool=vmForks'], ['--no-isolate']]) {
      test(args.join(' '), () => {
        const run = runVitest('suites', { args })
        expect(failed(run)).toEqual(expectedFailures('vitest'))
        expect(run.files.get('tests/shared/concurrent.test.ts')).toContain(
          'Timeout (setInterval 60 s) created at tests/shared/concurrent.test.ts:8:3',
        )
      })
    }
    // Vitest 5 gives every file a vm context of its own and evaluates node_modules again in each:
    // an engine per file kept every file's context alive (10 × 8 MB: 118 MB at the end, not 18).
    for (const pool of ['vmThreads', 'vmForks']) {
      test(`--pool=${pool}: leakproof keeps no earlier file's context alive`, () => {
        const live = (env: Record<string, string>): number => {
          const run = runVitest('vm-contexts', { args: [`--pool=${pool}`], env })
          expect(run.exitCode).toBe(0)
          return Number(/live after the earlier files: (\d+) MB/.exec(run.output)?.[1])
        }
        const without = live({ WITHOUT_LEAKPROOF: '1' })
        // Each of the 10 files holds 8 MB: kept contexts would show as up to 80 MB more.
        expect(live({}) - without).toBeLessThan(30)
      })
    }
  },
)

// A package of native ES modules ("type": "module"), untransformed: Jest through Node's VM modules.
describe.each(frameworks)('fixtures/esm under %s', (framework) => {
  test('the same verdicts from ES modules', () => {
    const run =
      framework === 'vitest' ? runVitest('esm') : runJest('esm', { env: { NODE_OPTIONS: '--experimental-vm-modules' } })
    expect(failed(run)).toEqual([
      'tests/modules.test.js > leaks: 2 MB per run kept in an ES module',
      'tests/modules.test.js > leaks: an interval from an ES module',
    ])
    expect(run.tests.get('tests/modules.test.js > leaks: an interval from an ES module')?.message).toContain(
      'Timeout (setInterval 60 s) created at tests/modules.test.js:11:3',
    )
    expect(run.tests.get('tests/modules.test.js > leaks: 2 MB per run kept in an ES module')?.message).toMatch(
      /^LeakError: retained [\d.]+ MB across 3 runs[\s\S]*→ kept {2}Array/,
    )
  })
})
