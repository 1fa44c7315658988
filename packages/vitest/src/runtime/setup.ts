/**
 * Loaded by the plugin as a Vitest setup file, in every test worker, once per test file. It maps
 * Vitest's hooks onto the engine's windows and fails tests with the engine's verdict; it judges
 * nothing itself.
 */
import { fileURLToPath } from 'node:url'
import { aroundAll, aroundEach, inject, TestRunner, type TaskMeta, type TestContext } from 'vitest'
import type { Verdict } from '@leakproof/core'
import { OPTIONS_KEY } from '../shared.js'
import { engine } from './engine.js'
import { clearingRerunMocks } from './mocks.js'
import { rerunTest } from './rerun.js'
import { holdFinishedEvents, type VitestSuite, type VitestTest } from './tasks.js'

interface WorkerState {
  filepath?: string
  /** Runs `listener` when the worker stops (Vitest's `stop` message), and awaits it: 4.1 and 5.1. */
  onCleanup: (listener: () => Promise<void>) => void
  config: { root: string; sequence: { hooks: string } }
  evaluatedModules?: { getModuleSourceMapById(id: string): { map: object } | null }
}
const {
  Detector,
  FileCheck,
  formatVerdict,
  fullNameOf,
  headline,
  packageRoot,
  parseSize,
  registerSourceMapProvider,
  registerFrameworkCode,
  heapAtFileEnd,
  judgeLastEnvironmentsAtStop,
  worker: workerName,
} = engine
const worker = (globalThis as { __vitest_worker__?: WorkerState }).__vitest_worker__!
const root = worker.config.root

registerFrameworkCode(
  [packageRoot(fileURLToPath(import.meta.url))],
  [/[\\/]node_modules[\\/](vitest|@vitest|vite|tinypool|tinyspy|chai|birpc|@jridgewell)[\\/]/],
)
// Vite's module runner keeps the source map of the code it ran for every module (Vitest 5 runs
// code with lines the map in the module's transformed code does not have: ask the runner).
registerSourceMapProvider((file) => worker.evaluatedModules?.getModuleSourceMapById(file)?.map)

const detector = new Detector(inject(OPTIONS_KEY as '@leakproof/options'), {
  root,
  // In the vm pools, this file's vm context: not the engine's realm.
  global: globalThis,
  isHostGlobal: (name) => name.startsWith('__vitest') || name.startsWith('__VITEST'),
})
const check = new FileCheck<VitestTest>(detector, root, worker.filepath ?? '')
const held = holdFinishedEvents(worker)

/** The test file's task, for its after-all verdict: known once a test has run. */
let fileTask: { meta: TaskMeta; filepath: string } | undefined

/**
 * Findings also travel as the test's annotations (Vitest's UI, HTML and GitHub Actions reporters
 * show them), kept heap snapshots as their attachments. Vitest accepts annotations only while a
 * test runs; a verdict comes after its afterEach hooks (or later, see `judgeAfterLastTest`), so
 * the test is marked running again for these calls.
 */
async function annotate(test: VitestTest, verdict: Verdict): Promise<void> {
  const annotations: Array<[string, string, { path: string; contentType: string } | undefined]> = []
  // A leak's whole report is the test's error already: its annotation is the one line. Warnings
  // have no error to live in: theirs is the whole report.
  const errors = verdict.findings.filter((f) => f.severity === 'error')
  if (errors.length > 0) annotations.push([headline(errors), 'leakproof: leak', undefined])
  const warnings = formatVerdict(verdict, 'warn', { root })
  if (warnings) annotations.push([warnings, 'warning', undefined])
  for (const finding of verdict.findings) {
    const kept =
      'retainedBy' in finding && finding.retainedBy && 'snapshots' in finding.retainedBy
        ? finding.retainedBy.snapshots
        : undefined
    for (const path of [kept?.before, kept?.after])
      if (path)
        annotations.push([
          `heap snapshot: ${path}`,
          'leakproof: heap snapshot',
          { path, contentType: 'application/json' },
        ])
  }
  if (annotations.length === 0 || !test.result) return
  const state = test.result.state
  test.result.state = 'run'
  try {
    for (const [message, type, attachment] of annotations) await test.context.annotate(message, type, attachment)
  } finally {
    test.result.state = state
  }
}

/**
 * A leak is no flake: a retry would leak again and print the same report once more. Vitest retries
 * a failed test unless its retry condition says no, so a leaking test gets one that says no to a
 * LeakError and asks the test's own condition about anything else.
 */
function noRetryOnLeak(test: VitestTest): void {
  const retry = test.retry
  if (!retry) return
  const { condition, ...rest } = typeof retry === 'number' ? { count: retry } : retry
  test.retry = {
    ...rest,
    condition: (error) =>
      error.name !== 'LeakError' &&
      (condition === undefined ||
        (condition instanceof RegExp ? condition.test(error.message ?? '') : condition(error))),
  }
}

/**
 * The verdict of a test that waited: it finished as passed, and its result is not final until its
 * file's is. A leak fails it now; the result goes to the main process with the 'test-finished'
 * event that was held back for it, so every reporter sees the test once, with its final state.
 */
async function applyLate(test: VitestTest, verdict: Verdict): Promise<void> {
  test.meta.leakproofVerdict = verdict
  await annotate(test, verdict)
  const error = check.leakError(verdict, false)
  if (error && test.result) {
    test.result.state = 'fail'
    test.result.errors = [
      ...(test.result.errors ?? []),
      { name: error.name, message: error.message, stack: error.stack ?? '' },
    ]
  }
  await held.release(test)
}

function namesOf(test: VitestTest): string[] {
  const names = [test.name]
  for (let s = test.suite; s && !s.filepath; s = s.suite) names.unshift(s.name)
  return names
}

function reasonOf(value: string | true | undefined, setting: string): string | undefined {
  return value === undefined ? undefined : value === true ? `meta.leakproof.${setting}` : value
}

/** The last test that runs in `suite` (statically: Vitest settles tests' modes before running). */
function lastTestOf(suite: VitestSuite): VitestTest | undefined {
  for (let i = (suite.tasks?.length ?? 0) - 1; i >= 0; i--) {
    const task = suite.tasks![i]!
    if (task.mode !== 'run' && task.mode !== 'queued') continue
    const last = task.type === 'test' ? (task as VitestTest) : lastTestOf(task as VitestSuite)
    if (last) return last
  }
  return undefined
}

/**
 * After the file's last test, before its afterAll hooks, the waiting tests are judged: no test of
 * the file is left to see what their re-runs do. Returns `test`'s own verdict when it was one of them.
 */
async function judgeAfterLastTest(test: VitestTest): Promise<Verdict | undefined> {
  if (lastTestOf(test.file) !== test || !check.hasWaiting()) return undefined
  let own: Verdict | undefined
  for (const [waiting, verdict] of await check.judgeWaiting()) {
    if (waiting === test) own = verdict
    else await applyLate(waiting, verdict)
  }
  return own
}

/** Set once the file's afterAll hooks have run: re-runs after that set the file up again. */
let fileTornDown = false

/** A suite whose afterAll hooks have run: Vitest gives it its final state after them. */
function isTornDown(suite: { filepath?: string; result?: { state?: string } }): boolean {
  return suite.filepath ? fileTornDown : suite.result?.state !== undefined && suite.result.state !== 'run'
}

aroundAll(async (runSuite) => {
  await runSuite()
  fileTornDown = true
  // After the afterAll hooks: the tests that left handles, listeners or globals are judged on what
  // is still there; any other test still waiting (shuffled tests, whose last one was not foreseen)
  // is judged now too, and a re-run that fails then is a note, never a failure.
  const { file, tests } = await check.endFile()
  for (const [test, verdict] of tests) await applyLate(test, verdict)
  if (fileTask) {
    fileTask.meta.leakproofFile = file
    fileTask.meta.leakproofHeap = {
      worker: workerName,
      point: heapAtFileEnd(root, fileTask.filepath),
    }
  }
  // The engine and the worker outlive this file: nothing of the file's may stay with them.
  registerSourceMapProvider(undefined)
  held.restore()
  // In the vm pools this file's context should go now; earlier files' that must be gone are judged.
  const environments = await check.releaseEnvironment(globalThis, file)
  if (fileTask && environments.length > 0) fileTask.meta.leakproofEnvironments = environments
  // The environments of this worker's last files are judged as it stops (last-environments.ts).
  if (detector.watchesEnvironments()) judgeLastEnvironmentsAtStop(root, worker.onCleanup)
  const error = check.leakError(file, false)
  if (error) throw error
}, 0)

// A plain function, not an arrow: the test context is read from `arguments` so that Vitest's
// fixture parser sees no second parameter and does not try to resolve fixtures for this hook.
aroundEach(async function leakproofWindow(runTest: () => Promise<void>) {
  const test = (arguments[1] as TestContext).task as unknown as VitestTest
  fileTask ??= test.file
  const settings = test.meta.leakproof ?? {}
  const names = namesOf(test)
  check.startTest(test, {
    file: test.file.filepath,
    names,
    concurrent: test.concurrent,
    expectedToFail: test.fails,
    budget:
      settings.budget === undefined
        ? undefined
        : parseSize(settings.budget, `meta.leakproof.budget of test "${fullNameOf(names)}"`),
    noRerun: reasonOf(settings.noRerun, 'noRerun'),
    ignore: reasonOf(settings.ignore, 'ignore'),
  })
  let verdict: Verdict | undefined
  try {
    await runTest()
  } finally {
    const ownFailure = test.result?.state !== 'pass'
    verdict = await check.endTest(test, ownFailure, (bodyLimitMs) =>
      clearingRerunMocks(() => rerunTest(test as never, worker.config.sequence.hooks, isTornDown, bodyLimitMs)),
    )
    const judgedNow = await judgeAfterLastTest(test)
    verdict ??= judgedNow
    // Still waiting: its 'test-finished' event waits with it (see applyLate).
    if (!verdict && check.hasWaiting((t) => t === test)) held.hold(test)
  }
  if (!verdict) return
  test.meta.leakproofVerdict = verdict
  await annotate(test, verdict)
  const error = check.leakError(verdict, false)
  if (error) {
    noRetryOnLeak(test)
    throw error
  }
}, 0)
