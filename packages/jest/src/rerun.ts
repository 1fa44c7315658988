import { saveState, withinTime } from '@leakproof/core/worker'
import type { Circus } from '@jest/types'

/** Where `expect` keeps its per-test state, on the test file's global object. */
const MATCHERS = Symbol.for('$$jest-matchers-object')

interface SnapshotState {
  clear(test?: Circus.TestEntry): void
  _counters: Map<string, number>
  _inlineSnapshots: unknown[]
  /** Jest 30: what each test's attempt did, which `clear(test)` rolls back. */
  _attemptRecordsByTest?: WeakMap<Circus.TestEntry, unknown>
}
interface ExpectState {
  currentTestName?: string
  snapshotState?: SnapshotState
  suppressedErrors?: unknown[]
}
type Scope = Record<PropertyKey, unknown>

function expectStateOf(scope: Scope): ExpectState | undefined {
  return (scope[MATCHERS] as { state?: ExpectState } | undefined)?.state
}

/** How many snapshots the running test's name has matched so far (Jest 29 needs it to re-run a test). */
export function snapshotCounterOf(scope: Scope): number {
  const state = expectStateOf(scope)
  return (state?.currentTestName && state.snapshotState?._counters?.get(state.currentTestName)) || 0
}

/**
 * Runs a test's window once more in place, as jest-circus does: beforeEach hooks outermost block
 * first, the test function (with `done` when it takes one, within its timeout or `bodyLimitMs`
 * when that is shorter), then afterEach hooks innermost block first. It runs inside the test's own
 * `test_done` event, so Jest's per-test state (the running test, `expect`'s assertion counts,
 * snapshots) is put back as the first run left it.
 */
export async function rerunTest(
  scope: Scope,
  test: Circus.TestEntry,
  state: Circus.State,
  snapshotCountAtStart: number,
  isTornDown: (block: Circus.DescribeBlock) => boolean,
  bodyLimitMs: number,
): Promise<void> {
  // Blocks whose afterAll hooks have run (the re-run comes after the file's last test) are set up
  // again around it, and taken down again after: the test needs what their beforeAll hooks made.
  const tornDown: Circus.DescribeBlock[] = []
  for (let block: Circus.DescribeBlock | undefined = test.parent; block; block = block.parent)
    if (isTornDown(block)) tornDown.unshift(block)
  const context = Object.create(null) as object
  const timeoutOf = (entry: { timeout?: number | null }): number => entry.timeout || state.testTimeout
  // The hooks run inside Jest 30's test scope too (`jest.useFakeTimers()` in a beforeAll hook).
  state.currentlyRunningTest = test
  await tellJest(scope, 'test_fn_start', test, state)
  try {
    for (const block of tornDown)
      for (const hook of block.hooks.filter((h) => h.type === 'beforeAll'))
        await call(hook.fn, context, timeoutOf(hook), 'a beforeAll hook')
    try {
      await rerunWindow(scope, test, state, snapshotCountAtStart, bodyLimitMs)
    } finally {
      for (const block of [...tornDown].reverse())
        for (const hook of block.hooks.filter((h) => h.type === 'afterAll'))
          await call(hook.fn, context, timeoutOf(hook), 'an afterAll hook')
    }
  } finally {
    await tellJest(scope, 'test_fn_success', test, state)
    state.currentlyRunningTest = null
  }
}

async function rerunWindow(
  scope: Scope,
  test: Circus.TestEntry,
  state: Circus.State,
  snapshotCountAtStart: number,
  bodyLimitMs: number,
): Promise<void> {
  const expectState = expectStateOf(scope)
  const savedExpect = expectState && { ...expectState }
  // The re-run may come after later tests ran (see FileCheck): `expect` names this test again, as
  // jest-circus does at test_start, so its snapshots and assertion messages are this test's.
  if (expectState) expectState.currentTestName = testIdOf(test)
  const restoreSnapshots = rewindSnapshots(expectState, test, snapshotCountAtStart)
  const { beforeEach, afterEach } = eachHooksOf(test)
  const context = Object.create(null) as object
  const timeoutOf = (entry: { timeout?: number | null }): number => entry.timeout || state.testTimeout
  let failure: unknown
  try {
    for (const hook of beforeEach) await call(hook.fn, context, timeoutOf(hook), 'a beforeEach hook')
    await call(test.fn, context, Math.min(timeoutOf(test), bodyLimitMs), 'the test')
  } catch (error) {
    failure = error
  }
  // Jest runs every afterEach hook even when the test failed.
  for (const hook of afterEach) {
    try {
      await call(hook.fn, context, timeoutOf(hook), 'an afterEach hook')
    } catch (error) {
      failure ??= error
    }
  }
  restoreSnapshots()
  if (expectState && savedExpect) Object.assign(expectState, savedExpect, { suppressedErrors: [] })
  if (failure !== undefined) throw failure
}

/**
 * Jest 30 lets `jest.*` (fake timers, mocks) be used only while test code runs, a state its own event
 * handlers enter and leave on these events; they live on the test file's global object. Jest 29 has
 * neither the state nor the list.
 */
async function tellJest(
  scope: Scope,
  name: 'test_fn_start' | 'test_fn_success',
  test: Circus.TestEntry,
  state: Circus.State,
): Promise<void> {
  const handlers = (scope[Symbol.for('EVENT_HANDLERS')] ?? []) as Circus.EventHandler[]
  for (const handler of handlers) await handler({ name, test }, state)
}

/** jest-circus's name for a test in `expect`'s state: describe blocks and test name joined by spaces. */
function testIdOf(test: Circus.TestEntry): string {
  const names = [test.name]
  for (let block = test.parent; block && block.parent; block = block.parent) names.unshift(block.name)
  return names.join(' ')
}

function eachHooksOf(test: Circus.TestEntry): { beforeEach: Circus.Hook[]; afterEach: Circus.Hook[] } {
  const beforeEach: Circus.Hook[] = []
  const afterEach: Circus.Hook[] = []
  for (let block: Circus.DescribeBlock | undefined = test.parent; block; block = block.parent) {
    beforeEach.unshift(...block.hooks.filter((h) => h.type === 'beforeEach'))
    afterEach.push(...block.hooks.filter((h) => h.type === 'afterEach'))
  }
  return { beforeEach, afterEach }
}

/**
 * Lets the re-run match the test's snapshots again instead of adding `name 2`, and leaves what the
 * first run did standing: everything the re-run changed (totals, counters, the file's data, which
 * keys were checked) is put back after it. A re-run that renders new ids (React's `useId`) does not
 * match, and Jest would count that failure in its summary and fail the run. Jest 30 forgets one
 * test's snapshot work as it does before a retry (`clear(test)`); Jest 29 can only clear the whole
 * file, so its counter is wound back by hand.
 */
function rewindSnapshots(
  expectState: ExpectState | undefined,
  test: Circus.TestEntry,
  countAtStart: number,
): () => void {
  const snapshots = expectState?.snapshotState
  const name = expectState?.currentTestName
  if (!snapshots || !name) return () => {}
  const restore = saveState(snapshots)
  const firstRun = snapshots._attemptRecordsByTest?.get(test)
  const perTest = snapshots.clear.length >= 1
  if (perTest) snapshots.clear(test)
  else snapshots._counters.set(name, countAtStart)
  return () => {
    restore()
    if (firstRun) snapshots._attemptRecordsByTest?.set(test, firstRun)
    else snapshots._attemptRecordsByTest?.delete(test)
  }
}

type TestFn = (this: object, done?: (reason?: unknown) => void) => unknown

/** Calls a hook or test function the way jest-circus does: a `done` callback when it declares one. */
function call(
  fn: Circus.TestFn | Circus.HookFn | undefined,
  context: object,
  timeout: number,
  what: string,
): Promise<void> {
  if (!fn) return Promise.resolve()
  const f = fn as unknown as TestFn
  const settled = new Promise<void>((resolve, reject) => {
    const settle = (error?: unknown): void => (error ? reject(error) : resolve())
    try {
      if (f.length > 0)
        f.call(context, (reason) =>
          settle(reason ? (reason instanceof Error ? reason : new Error(String(reason))) : undefined),
        )
      else
        Promise.resolve(f.call(context)).then(
          () => settle(),
          (error: unknown) => settle(error ?? new Error(`${what} rejected`)),
        )
    } catch (error) {
      settle(error)
    }
  })
  return withinTime(settled, timeout, `${what} did not finish within ${timeout} ms`)
}
