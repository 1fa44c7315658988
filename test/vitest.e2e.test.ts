import { beforeAll, describe, expect, test } from 'vitest'
import { failed, named, runVitest, type FixtureRun } from './helpers/run-fixture.js'

/** The per-run growth a retained-memory LeakError states, in KB. */
function perRunKB(message: string): number {
  const m = /\(\+([\d.]+) (B|KB|MB) per run/.exec(message)
  if (!m) throw new Error(`no per-run growth in: ${message}`)
  return Number(m[1]) * { B: 1 / 1024, KB: 1, MB: 1024 }[m[2] as 'B' | 'KB' | 'MB']
}

const pools = (process.env.LEAKPROOF_POOLS ?? 'forks,threads').split(',')

describe.each(pools)('Vitest plugin on fixtures/vitest, %s pool', (pool) => {
  let run: FixtureRun
  beforeAll(() => {
    run = runVitest('vitest', { args: [`--pool=${pool}`] })
  })
  const message = (name: string): string => {
    const outcome = run.tests.get(name)
    if (!outcome) throw new Error(`no test named ${name}; ran: ${[...run.tests.keys()].join('\n')}`)
    return outcome.message
  }

  test('the run fails because leaks were found', () => {
    expect(run.exitCode, run.output).toBe(1)
    expect(run.tests.size).toBeGreaterThan(230)
  })

  test('exactly the leaking tests fail, and a test that fails on its own keeps its own failure', () => {
    const leaking = named(run, 'leaks:')
    expect(leaking.length).toBe(15)
    expect(failed(run)).toEqual([...leaking, ...named(run, 'fails on its own')].sort())
    for (const name of leaking) expect(message(name), name).toMatch(/^LeakError: /)
    const own = message('tests/own-failure.test.ts > fails on its own: leaks an interval, then an assertion fails')
    expect(own).toMatch(/^AssertionError: expected 2 to be 3/)
    expect(own).not.toContain('LeakError')
  })

  test('every clean test passes', () => {
    const clean = named(run, 'clean:')
    expect(clean.length).toBeGreaterThan(220)
    for (const name of clean) expect(run.tests.get(name)?.status, `${name}\n${message(name)}`).toBe('passed')
  })

  test('handles: what was left open and the line that created it', () => {
    expect(message('tests/handles.test.ts > leaks: an interval that is never cleared')).toContain('Timeout (setInterval 60 s) created at tests/handles.test.ts:5:3')
    expect(message('tests/handles.test.ts > leaks: an unref timer is still left behind')).toContain('Timeout (setTimeout 30 s, unref) created at tests/handles.test.ts:9:3')
    const server = message('tests/handles.test.ts > leaks: a server that is never closed')
    expect(server).toMatch(/^LeakError: left 1 handle open/)
    expect(server).toMatch(/Server \(listening on 127\.0\.0\.1:\d+\) created at tests\/handles\.test\.ts:14:47/)
  })

  test('handles: child processes and sockets', () => {
    expect(message('tests/processes.test.ts > leaks: a child process that is never waited for')).toMatch(/ChildProcess \(pid \d+, \S+\) created at tests\/processes\.test\.ts:9:3/)
    expect(message('tests/processes.test.ts > leaks: a client socket left connected')).toMatch(/Socket \(connected to 127\.0\.0\.1:\d+\) created at tests\/processes\.test\.ts:30:18/)
  })

  test('handles: source-mapped to the TypeScript line, which stripping types would move', () => {
    expect(message('tests/typed.test.ts > leaks: a poller started in a TypeScript file and never stopped')).toContain('Timeout (setInterval 60 s) created at tests/typed.test.ts:14:17')
  })

  test('listeners: the emitter, the event and the line that added it', () => {
    expect(message('tests/listeners.test.ts > leaks: a process listener that is never removed')).toContain('process "uncaughtException" added at tests/listeners.test.ts:6:11')
    expect(message('tests/listeners.test.ts > leaks: a listener on a module-level bus')).toContain('EventEmitter "user:created" added at tests/listeners.test.ts:10:7')
  })

  test('globals and watched objects by name', () => {
    expect(message('tests/globals.test.ts > leaks: a new global')).toContain('globalThis.leakedCache (Map)')
    expect(message('tests/watched.test.ts > leaks: a watched session that is kept in a module array')).toContain('"session" watched at tests/watched.test.ts:7:')
  })

  test('retained: total and per-run growth, budget, and source-mapped allocation sites', () => {
    const cache = message('tests/retained.test.ts > leaks: an unbounded cache grows on every run')
    expect(cache).toMatch(/^LeakError: retained [\d.]+ MB across 3 runs \(\+[\d.]+ MB per run, budget 0 B\)/)
    expect(cache).toContain('allocated at (alive after GC)')
    // getUser starts on line 11 of src/user-cache.ts, below an interface that stripping would remove;
    // the test body (line 14) and `handle` (line 15) sit below types too.
    expect(cache).toMatch(/getUser\s+src\/user-cache\.ts:11:\d+/)
    expect(cache).toMatch(/handle\s+tests\/retained\.test\.ts:15:\d+/)
    // 2 MB of Buffers per run, measured among whatever else the worker frees meanwhile.
    expect(perRunKB(message('tests/retained.test.ts > leaks: Buffers kept in a module array (external memory)'))).toBeGreaterThan(1800)
    expect(perRunKB(message('tests/retained.test.ts > leaks: Buffers kept in a module array (external memory)'))).toBeLessThan(2300)
  })

  test('budgets: file rule, test-name rule, meta on test and describe, tags, leaks.budget()', () => {
    const overFileBudget = message('tests/budgets.test.ts > leaks: 300 KB per run is over the file budget of 64 KB')
    expect(overFileBudget).toMatch(/ per run, budget 64 KB\)/)
    // 300 KB of Buffers per run, measured among whatever else the worker frees meanwhile.
    expect(perRunKB(overFileBudget)).toBeGreaterThan(150)
    expect(perRunKB(overFileBudget)).toBeLessThan(450)
    expect(message('tests/budgets.test.ts > a describe block with a 2 MB budget > leaks: 3 MB per run is over the describe budget')).toMatch(/budget 2\.0 MB\)/)
  })

  test('opt-outs: ignore skips, noRerun judges one run', () => {
    expect(message('tests/opt-outs.test.ts > leaks: a test that must not be re-run is judged on its one run')).toMatch(/^LeakError: retained [\d.]+ MB in its one run \(not re-run, budget 0 B\)/)
  })

  test('a re-run leaves snapshot state as a retry would: no "name 2", no failed re-run', () => {
    expect(run.tests.get('tests/snapshots.test.ts > clean: the test above was re-run, and its snapshots matched every time')?.status).toBe('passed')
    expect(run.output).not.toContain('re-running the test failed')
    expect(run.output).not.toMatch(/Snapshots\s+.*(written|obsolete)/)
  })

  test('a file is checked after afterAll, without blaming its tests', () => {
    expect(run.files.get('tests/file-level.test.ts')).toContain('Timeout (setInterval 60 s) created at tests/file-level.test.ts:6:3')
    expect(run.tests.get('tests/file-level.test.ts > clean: a test in a file whose beforeAll leaks')?.status).toBe('passed')
  })
})

describe('options', () => {
  test('kinds set to warn print a warning and pass; kinds set to off are not checked', () => {
    const run = runVitest('vitest-kinds')
    expect(run.exitCode).toBe(1)
    expect(failed(run)).toEqual(['tests/kinds.test.ts > leaks: handles are still errors'])
    expect(run.output).toContain('leakproof warning (clean: a listener leak is only a warning here): left 1 listener registered')
    expect(run.output).toContain('process "SIGUSR2" added at tests/kinds.test.ts:4:11')
    expect(run.output).not.toContain('notChecked')
  })

  test('a malformed size stops the run before any test, naming the option and the value', () => {
    const run = runVitest('vitest-bad-options')
    expect(run.exitCode).toBe(1)
    expect(run.tests.size).toBe(0)
    expect(run.output).toContain('LeakproofConfigError: leakproof: option "budget" is "2 MBs"; expected a size such as "512 KB" or "2 MB"')
    expect(run.output).not.toMatch(/at \S*packages[\\/]core/)
  })
})
