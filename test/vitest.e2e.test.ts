import { beforeAll, describe, expect, test } from 'vitest'
import { failed, named, runVitest, type FixtureRun } from './helpers/run-fixture.js'

describe("Vitest's own per-test options (fixtures/corpus/tests/vitest-only)", () => {
  let run: FixtureRun
  beforeAll(() => {
    run = runVitest('corpus', { files: ['tests/vitest-only/'] })
  })

  test('meta and tags set budgets, ignore and noRerun; the describe budget is inherited', () => {
    expect(failed(run)).toEqual([
      'tests/vitest-only/test-options.test.ts > a describe block with a 2 MB budget > leaks: 3 MB per run is over the describe budget',
    ])
    expect(run.tests.get(failed(run)[0]!)?.message).toMatch(/budget 2\.0 MB\)/)
    const clean = named(run, 'clean:')
    expect(clean.length).toBe(6)
    for (const name of clean) expect(run.tests.get(name)?.status, name).toBe('passed')
  })
})

describe('options', () => {
  test('kinds set to warn print a warning and pass; kinds set to off are not checked', () => {
    const run = runVitest('vitest-kinds')
    expect(run.exitCode).toBe(1)
    expect(failed(run)).toEqual(['tests/kinds.test.ts > leaks: handles are still errors'])
    // Printed by the reporter in its summary, never through the test's console.
    expect(run.output).toMatch(
      /leakproof: notes on 1 test \(not failures\)\n  tests\/kinds\.test\.ts > clean: a listener leak is only a warning here\n    warning: left 1 listener registered/,
    )
    expect(run.output).not.toContain('stderr | tests/kinds.test.ts')
    expect(run.output).toContain('process "SIGUSR2" added at tests/kinds.test.ts:4:11')
    expect(run.output).not.toContain('notChecked')
  })

  test('a malformed size stops the run before any test, naming the option and the value', () => {
    const run = runVitest('vitest-bad-options')
    expect(run.exitCode).toBe(1)
    expect(run.tests.size).toBe(0)
    expect(run.output).toContain(
      'LeakproofConfigError: leakproof: option "budget" is "2 MBs"; expected a size such as "512 KB" or "2 MB"',
    )
    expect(run.output).not.toMatch(/at \S*packages[\\/]core/)
  })
})
