import { beforeAll, describe, expect, test } from 'vitest'
import { failed, named, runJest, runVitest, type FixtureRun } from './helpers/run-fixture.js'

/**
 * fixtures/rtl: a React app's suite written the way React Testing Library users write it (render,
 * renderHook, fireEvent, user-event, Suspense, fake timers, a store singleton on globalThis, a
 * module-level fetch cache, order-dependent tests, a fail-on-console setup file), one suite for
 * Vitest + jsdom and Jest + jsdom. tests/clean must pass with leakproof exactly as without it; in
 * tests/leaks exactly the `leaks:` tests fail, each with its kind.
 */
const frameworks = (process.env.LEAKPROOF_FRAMEWORKS ?? 'vitest,jest').split(',')

/** Every test in tests/clean (9 files). */
const CLEAN_TESTS = 25
/** Every test in tests/leaks (4 files): 4 `leaks:` tests and 5 that pass. */
const LEAK_FILE_TESTS = 9

const ORDER = 'tests/leaks/order-dependent.test.tsx > checkout, step by step, audited'
/** Each leaking test, and what its LeakError must say: its kind, and the thing it left. */
const LEAKS: Record<string, RegExp[]> = {
  'tests/leaks/window-listener.test.tsx > leaks: a width display whose effect subscribes to window resize and never unsubscribes':
    [/listener/, /window "resize"[^\n]*src\/leaky\/WindowWidthNoCleanup\.tsx:7:/],
  "tests/leaks/render-log.test.tsx > leaks: a product list that keeps every render's props in a module-level log": [
    /retained/,
    /renderLog/,
  ],
  'tests/leaks/global.test.tsx > leaks: a search that puts a new object on globalThis.__LAST_SEARCH__ on every call': [
    /global/,
    /__LAST_SEARCH__/,
  ],
  [`${ORDER} > leaks: signs in, and every sign-in keeps its audit trail in a module-level list`]: [
    /retained/,
    /auditLog/,
  ],
}
/** They use the session and cookie the leaking first test of their describe made. */
const AFTER_LEAKING_FIRST = [
  `${ORDER} > the session is the first one`,
  `${ORDER} > the cookie is the one the first sign-in set`,
]

/** The lines of a run's output that match `pattern`: '' when none do (a readable diff when some do). */
const linesMatching = (run: FixtureRun, pattern: RegExp): string =>
  run.output
    .split('\n')
    .filter((l) => pattern.test(l))
    .join('\n')
const UNEXPECTED_CONSOLE = /Unexpected console/
/** A note or warning leakproof printed (through console.warn) about a test. */
const LEAKPROOF_NOTE = /leakproof (warning )?\(/

/** A failure message without its stack frames: what the assertion diffs below show. */
const brief = (message: string | undefined): string =>
  (message ?? '')
    .split('\n')
    .filter((l) => !/^\s+at /.test(l))
    .join('\n')
    .trim()

function outcomes(run: FixtureRun, prefix: string): Array<[string, string]> {
  return [...run.tests].filter(([name]) => name.startsWith(prefix)).map(([name, t]) => [name, t.status])
}

function expectCleanRun(run: FixtureRun, tests: Array<[string, string]>): void {
  expect(tests, run.output).toHaveLength(CLEAN_TESTS)
  const notPassed = tests
    .filter(([, status]) => status !== 'passed')
    .map(([name]) => `${name}\n${brief(run.tests.get(name)?.message)}`)
  expect(notPassed.join('\n\n')).toBe('')
}

function expectLeakRun(run: FixtureRun): void {
  const tests = outcomes(run, 'tests/leaks/')
  expect(tests, run.output).toHaveLength(LEAK_FILE_TESTS)
  expect(named(run, 'leaks:')).toEqual(Object.keys(LEAKS).sort())
  // Exactly the leaking tests fail; every other test in their files passes.
  const wrong = tests.filter(([name, status]) => (name in LEAKS ? status !== 'failed' : status !== 'passed'))
  expect(wrong.map(([name, status]) => `${name}: ${status}\n${brief(run.tests.get(name)?.message)}`).join('\n\n')).toBe(
    '',
  )
  for (const [name, patterns] of Object.entries(LEAKS)) {
    const message = run.tests.get(name)?.message ?? ''
    expect(message, name).toContain('LeakError')
    for (const pattern of patterns) expect(message, name).toMatch(pattern)
  }
}

const MODES = {
  'vitest (forks)': (files: string[]) => runVitest('rtl', { files }),
  'jest --runInBand': (files: string[]) => runJest('rtl', { files, args: ['--runInBand'] }),
}

for (const [mode, run] of Object.entries(MODES)) {
  describe.skipIf(!frameworks.includes(mode.split(' ')[0]!))(`fixtures/rtl under ${mode}`, () => {
    let clean: FixtureRun
    let leaks: FixtureRun
    beforeAll(() => {
      clean = run(['tests/clean'])
      leaks = run(['tests/leaks'])
    })

    test('tests/clean: every test passes, and the run exits 0', () => {
      expectCleanRun(clean, outcomes(clean, 'tests/clean/'))
      expect(clean.files.size, [...clean.files.values()].join('\n')).toBe(0)
      expect(clean.exitCode, clean.output).toBe(0)
    })

    test('tests/clean: nothing is printed through console.warn/error, by the tests or by leakproof', () => {
      expect(linesMatching(clean, UNEXPECTED_CONSOLE)).toBe('')
      expect(linesMatching(clean, LEAKPROOF_NOTE)).toBe('')
    })

    test('tests/leaks: exactly the leaks: tests fail, each with a LeakError of its kind', () => {
      expectLeakRun(leaks)
      expect(leaks.files.size, [...leaks.files.values()].join('\n')).toBe(0)
      expect(leaks.exitCode).toBe(1)
      expect(linesMatching(leaks, UNEXPECTED_CONSOLE)).toBe('')
    })

    test('tests/leaks: the tests after a leaking first test still see the state it made (re-runs do not change it)', () => {
      for (const name of AFTER_LEAKING_FIRST)
        expect(leaks.tests.get(name), `${name}\n${brief(leaks.tests.get(name)?.message)}`).toMatchObject({
          status: 'passed',
        })
    })
  })
}

// Jest's default, workers: the whole fixture in one run (about 35 s more, so not in every run:
// LEAKPROOF_RTL_WORKERS=1 turns it on).
describe.skipIf(!frameworks.includes('jest') || process.env.LEAKPROOF_RTL_WORKERS !== '1')(
  'fixtures/rtl under jest, 2 workers (tests/clean and tests/leaks in one run)',
  () => {
    let run: FixtureRun
    beforeAll(() => {
      run = runJest('rtl', { args: ['--maxWorkers=2'] })
    })

    test('every tests/clean test passes; in tests/leaks exactly the leaks: tests fail, each with its kind', () => {
      expectCleanRun(run, outcomes(run, 'tests/clean/'))
      expectLeakRun(run)
      expect(run.files.size, [...run.files.values()].join('\n')).toBe(0)
      expect(linesMatching(run, UNEXPECTED_CONSOLE)).toBe('')
    })
  },
)

// Without leakproof every test of the fixture passes, the leaking ones too: a failure above is
// leakproof's verdict, not a broken test. (LEAKPROOF_OFF=1: both configs leave leakproof out.)
describe('fixtures/rtl without leakproof', () => {
  const off = { LEAKPROOF_OFF: '1' }
  const runs = [
    ...(frameworks.includes('vitest') ? [['vitest', () => runVitest('rtl', { env: off })] as const] : []),
    ...(frameworks.includes('jest')
      ? [['jest', () => runJest('rtl', { env: off, args: ['--runInBand'] })] as const]
      : []),
  ]
  test.each(runs)('%s: every test passes', (_, start) => {
    const run = start()
    expect(run.tests.size, run.output).toBe(CLEAN_TESTS + LEAK_FILE_TESTS)
    expect(failed(run)).toEqual([])
    expect(run.exitCode, run.output).toBe(0)
    expect(run.output).not.toMatch(/LeakError|leakproof: /)
  })
})
