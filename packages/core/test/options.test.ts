import { describe, expect, test } from 'vitest'
import { globToRegExp, resolveBudget, resolveOptions } from '../src/index.js'

describe('resolveOptions', () => {
  test('defaults', () => {
    expect(resolveOptions()).toEqual({
      budget: 0,
      budgets: [],
      kinds: {
        retained: 'error',
        handle: 'error',
        listener: 'error',
        global: 'error',
        watched: 'error',
        dom: 'error',
        environment: 'error',
      },
      repetitions: 3,
      allocationSites: 5,
      checkFiles: true,
      explain: true,
      keepSnapshots: false,
      reportFile: 'leakproof-report.json',
      baseline: 'leakproof.baseline.json',
      baselineTolerance: 0.25,
      ignore: [],
    })
  })

  test('keepSnapshots: true means the default folder; a folder name is kept; anything else is refused', () => {
    expect(resolveOptions({ keepSnapshots: true }).keepSnapshots).toBe('.leakproof/snapshots')
    expect(resolveOptions({ keepSnapshots: 'artifacts/heap' }).keepSnapshots).toBe('artifacts/heap')
    expect(() => resolveOptions({ keepSnapshots: 1 })).toThrow(
      'option "keepSnapshots" is 1; expected true (for .leakproof/snapshots), false, or a folder name',
    )
    expect(() => resolveOptions({ explain: 'yes' })).toThrow('option "explain" is "yes"; expected true or false')
  })

  test('baselineTolerance is a number from 0 to 10; baseline a file name or false', () => {
    expect(() => resolveOptions({ baselineTolerance: -1 })).toThrow(
      'option "baselineTolerance" is -1; expected a number from 0 to 10',
    )
    expect(() => resolveOptions({ baseline: '' })).toThrow(
      'option "baseline" is ""; expected a file name (relative to the project root) or false',
    )
    expect(resolveOptions({ baseline: false }).baseline).toBe(false)
  })

  test('ignore rules: exactly one of global, handle, event, frame, package, and a reason', () => {
    expect(resolveOptions({ ignore: [{ handle: 'Timeout', reason: 'polling by design' }] }).ignore).toEqual([
      { handle: 'Timeout', reason: 'polling by design' },
    ])
    expect(() => resolveOptions({ ignore: [{ handle: 'Timeout' }] })).toThrow(
      'option "ignore[0].reason" is undefined; expected a sentence saying why (it is shown in the summary)',
    )
    expect(() => resolveOptions({ ignore: [{ handle: 'Timeout', event: 'x', reason: 'r' }] })).toThrow(
      'expected exactly one of global, handle, event, frame, package (and a reason)',
    )
    expect(() => resolveOptions({ ignore: [{ stack: 'x', reason: 'r' }] })).toThrow(
      'option "ignore[0].stack" is "x"; expected one of global, handle, event, frame, package, reason',
    )
  })

  test('options under a host path name that path (Jest: testEnvironmentOptions.leakproof)', () => {
    expect(() => resolveOptions({ budget: '2 MBs' }, 'testEnvironmentOptions.leakproof')).toThrow(
      'option "testEnvironmentOptions.leakproof.budget" is "2 MBs"',
    )
    expect(() => resolveOptions({ budgets: [{ tests: {}, budget: 1 }] })).toThrow(
      'a RegExp sent to Jest workers as JSON arrives as {}',
    )
  })

  test.each([
    [{ budgit: '1 MB' }, 'option "budgit" is "1 MB"; expected one of the known options'],
    [{ kinds: { handles: 'off' } }, 'option "kinds.handles" is "off"; expected a known kind'],
    [{ kinds: { handle: 'fatal' } }, 'option "kinds.handle" is "fatal"; expected one of "error", "warn", "off"'],
    [
      { kinds: { environment: 'sometimes' } },
      'option "kinds.environment" is "sometimes"; expected one of "error", "warn", "off"',
    ],
    [{ kinds: { environments: 'off' } }, 'option "kinds.environments" is "off"; expected a known kind'],
    [{ repetitions: 1 }, 'option "repetitions" is 1; expected a whole number from 2 to 20'],
    [{ budgets: [{ files: 'a/**' }] }, 'option "budgets[0].budget" is undefined'],
    [
      { budgets: [{ budget: '1 MB' }] },
      'option "budgets[0]" is {"budget":"1 MB"}; expected a rule with "files", "tests" or both',
    ],
    [{ checkFiles: 'yes' }, 'option "checkFiles" is "yes"; expected true or false'],
    ['1 MB', 'option "options" is "1 MB"'],
  ])('%j is refused with a message naming it', (input, message) => {
    expect(() => resolveOptions(input)).toThrow(message)
  })

  test('RegExp test patterns survive the trip to a worker as plain data', () => {
    const options = resolveOptions({ budgets: [{ tests: /big/i, budget: '1 MB' }] })
    expect(JSON.parse(JSON.stringify(options)).budgets[0].tests).toEqual({ source: 'big', flags: 'i' })
  })
})

describe('resolveBudget: the most specific setting wins', () => {
  const options = resolveOptions({
    budget: '1 KB',
    budgets: [
      { files: 'src/**', budget: '10 KB' },
      { files: 'src/cache/*.test.ts', budget: '20 KB' },
      { tests: 'warm-up', budget: '30 KB' },
      { files: 'src/**', tests: /^big/, budget: '40 KB' },
    ],
  })
  const budget = (file: string, fullName: string, extra: object = {}): [number, string] => {
    const b = resolveBudget(options, { file, fullName, ...extra })
    return [b.bytes, b.source]
  }

  test.each([
    ['test/a.test.ts', 'x', [1024, 'budget']],
    ['src/a.test.ts', 'x', [10 * 1024, 'budgets[0]']],
    ['src/cache/lru.test.ts', 'x', [20 * 1024, 'budgets[1]']],
    ['test/a.test.ts', 'suite > warm-up', [30 * 1024, 'budgets[2]']],
    ['src/cache/lru.test.ts', 'big map', [40 * 1024, 'budgets[3]']],
  ] as const)('%s > %s', (file, name, expected) => {
    expect(budget(file, name)).toEqual(expected)
  })

  test('test options beat rules, and leaks.budget() beats everything', () => {
    expect(budget('src/a.test.ts', 'big', { fromTestOptions: 5 })).toEqual([5, 'test options'])
    expect(budget('src/a.test.ts', 'big', { fromTestOptions: 5, fromCall: 7 })).toEqual([7, 'leaks.budget()'])
  })
})

describe('globToRegExp', () => {
  test.each([
    ['**/*.test.ts', 'a/b/c.test.ts', true],
    ['**/*.test.ts', 'c.test.ts', true],
    ['src/*.ts', 'src/a/b.ts', false],
    ['src/{a,b}.ts', 'src/b.ts', true],
    ['src/?.ts', 'src/ab.ts', false],
    ['src/a.ts', 'src/a_ts', false],
  ])('%s on %s is %s', (glob, path, match) => {
    expect(globToRegExp(glob).test(path)).toBe(match)
  })
})
