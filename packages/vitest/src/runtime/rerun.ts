import { chai, expect, TestRunner, type TestContext } from 'vitest'
import { engine } from './engine.js'

type Hook = (context: TestContext, suite: unknown) => unknown
type Suite = { suite?: Suite; file?: Suite; filepath?: string; result?: { state?: string } }
type Test = Suite & { id: string; context: TestContext; onFinished?: Array<(context: TestContext) => unknown> }

function suitesOf(test: Test): Suite[] {
  const chain: Suite[] = []
  for (let s: Suite | undefined = test.suite ?? test.file; s; s = s.filepath ? undefined : (s.suite ?? s.file))
    chain.unshift(s)
  return chain
}

/**
 * Runs a test's window once more, as Vitest's runner does: beforeEach hooks outermost
 * suite first, the test body, then afterEach hooks innermost first (reversed within a suite when
 * `sequence.hooks` is 'stack', the default), cleanups returned by beforeEach hooks, and
 * `onTestFinished` callbacks registered by this run. Snapshot state is reset first, as for a retry.
 */
export async function rerunTest(test: Test, sequence: string, isTornDown: (suite: Suite) => boolean): Promise<void> {
  const suites = suitesOf(test)
  const hooksOf = (suite: Suite, name: 'beforeEach' | 'afterEach' | 'beforeAll' | 'afterAll'): Hook[] => {
    const hooks = (TestRunner.getSuiteHooks(suite as never) as unknown as Record<string, Hook[]>)[name] ?? []
    return (name === 'afterEach' || name === 'afterAll') && sequence === 'stack' ? [...hooks].reverse() : hooks
  }
  // Blocks whose afterAll hooks have run (the re-run comes after the file's last test) are set up
  // again around it, and taken down again after: the test needs what their beforeAll hooks made.
  const tornDown = suites.filter(isTornDown)
  const suiteCleanups: Array<() => unknown> = []
  for (const suite of tornDown) {
    for (const hook of hooksOf(suite, 'beforeAll')) {
      const cleanup = await (hook as unknown as (suite: Suite) => unknown)(suite)
      if (typeof cleanup === 'function') suiteCleanups.unshift(cleanup as () => unknown)
    }
  }
  try {
    await rerunWindow(test, suites, hooksOf)
  } finally {
    for (const suite of [...tornDown].reverse())
      for (const hook of hooksOf(suite, 'afterAll')) await (hook as unknown as (suite: Suite) => unknown)(suite)
    for (const cleanup of suiteCleanups) await cleanup()
  }
}

async function rerunWindow(
  test: Test,
  suites: Suite[],
  hooksOf: (suite: Suite, name: 'beforeEach' | 'afterEach') => Hook[],
): Promise<void> {
  const cleanups: Array<() => unknown> = []
  test.onFinished = undefined
  const restore = asCurrentTest(test)
  // As Vitest does before a retry: forget this test's snapshots of the previous run, so the re-run
  // matches `name 1` again instead of adding `name 2`. What the re-run then does to the snapshot
  // state is undone after it: the first run's work stands (a snapshot it wrote is not replaced by
  // the re-run's, and a re-run that renders new ids is not counted as a failed snapshot).
  const snapshots = (expect.getState() as { snapshotState?: { clearTest?: (id: string) => void } }).snapshotState
  const restoreSnapshots = snapshots ? engine.saveState(snapshots) : () => {}
  snapshots?.clearTest?.(test.id)
  try {
    for (const suite of suites) {
      for (const hook of hooksOf(suite, 'beforeEach')) {
        const cleanup = await hook(test.context, suite)
        if (typeof cleanup === 'function') cleanups.unshift(cleanup as () => unknown)
      }
    }
    await (TestRunner.getTestFn as unknown as (t: Test) => () => unknown)(test)()
  } finally {
    for (const suite of [...suites].reverse()) {
      for (const hook of hooksOf(suite, 'afterEach')) await hook(test.context, suite)
    }
    for (const cleanup of cleanups) await cleanup()
    const finished = (test.onFinished as Test['onFinished']) ?? []
    test.onFinished = undefined
    for (const callback of [...finished].reverse()) await callback(test.context)
    restoreSnapshots()
    restore()
  }
}

/**
 * The re-run may come after later tests ran (see setup.ts): the test Vitest has as current is then
 * another one. Assertions made with the global `expect` are bound to the current test (snapshots
 * are named after it), so while the re-run goes, they are bound to the re-run's test; and what it
 * counts in `expect`'s state (assertion calls) is put back afterwards.
 */
function asCurrentTest(test: Test): () => void {
  const proto = chai.Assertion.prototype as unknown as { withTest?: (this: unknown, t: unknown) => unknown }
  const withTest = proto.withTest
  const state = { ...expect.getState() }
  if (withTest)
    proto.withTest = function (this: unknown) {
      return withTest.call(this, test)
    }
  return () => {
    if (withTest) proto.withTest = withTest
    expect.setState(state)
  }
}
