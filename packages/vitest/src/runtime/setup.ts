/**
 * Loaded by the plugin as a Vitest setup file, in every test worker, once per test file. It maps
 * Vitest's hooks onto the engine's windows and fails tests with the engine's verdict; it judges
 * nothing itself.
 */
import { fileURLToPath } from 'node:url'
import { aroundAll, aroundEach, inject, type TaskMeta, type TestContext } from 'vitest'
import { Detector, formatVerdict, headline, LeakError, packageRoot, parseSize, registerSourceMapProvider, registerFrameworkCode, type Verdict } from '@leakproof/core'
import { OPTIONS_KEY } from '../shared.js'
import { clearingRerunMocks } from './mocks.js'
import { rerunTest } from './rerun.js'

interface WorkerState {
  filepath?: string
  config: { root: string; sequence: { hooks: string } }
  evaluatedModules?: { getModuleSourceMapById(id: string): { map: object } | null }
}
type RetryCondition = RegExp | ((error: { name?: string; message?: string }) => boolean)
interface VitestTest {
  name: string
  retry?: number | { count?: number; delay?: number; condition?: RetryCondition }
  concurrent?: boolean
  fails?: boolean
  meta: TaskMeta
  result?: { state: string }
  suite?: { name: string; suite?: unknown; filepath?: string }
  file: { filepath: string; meta: TaskMeta }
  context: TestContext
}

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
  isHostGlobal: (name) => name.startsWith('__vitest') || name.startsWith('__VITEST'),
})
const format = (verdict: Verdict, severity: 'error' | 'warn'): string => formatVerdict(verdict, severity, { root })

/** The test file's task, for its after-all verdict: known once a test has run. */
let fileTask: { meta: TaskMeta } | undefined

function report(verdict: Verdict, where: string): void {
  const warnings = format(verdict, 'warn')
  if (warnings) console.warn(`leakproof warning (${where}): ${warnings}`)
  for (const note of verdict.notes) if (verdict.state !== 'skipped') console.warn(`leakproof (${where}): ${note}`)
  if (verdict.state === 'leak') throw new LeakError(verdict, format(verdict, 'error'))
}

/**
 * Findings also travel as the test's annotations (Vitest's UI, HTML and GitHub Actions reporters
 * show them), kept heap snapshots as their attachments. Vitest accepts annotations only while a
 * test runs; the verdict comes right after its afterEach hooks, inside leakproof's aroundEach, so
 * the test is marked running again for these calls.
 */
async function annotate(test: VitestTest, verdict: Verdict): Promise<void> {
  const annotations: Array<[string, string, { path: string; contentType: string } | undefined]> = []
  // A leak's whole report is the test's error already: its annotation is the one line. Warnings
  // have no error to live in: theirs is the whole report.
  const errors = verdict.findings.filter((f) => f.severity === 'error')
  if (errors.length > 0) annotations.push([headline(errors), 'leakproof: leak', undefined])
  const warnings = format(verdict, 'warn')
  if (warnings) annotations.push([warnings, 'warning', undefined])
  for (const finding of verdict.findings) {
    const kept = 'retainedBy' in finding && finding.retainedBy && 'snapshots' in finding.retainedBy ? finding.retainedBy.snapshots : undefined
    for (const path of [kept?.before, kept?.after]) if (path) annotations.push([`heap snapshot: ${path}`, 'leakproof: heap snapshot', { path, contentType: 'application/json' }])
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
    condition: (error) => error.name !== 'LeakError' && (condition === undefined || (condition instanceof RegExp ? condition.test(error.message ?? '') : condition(error))),
  }
}

function fullName(test: VitestTest): string {
  const names = [test.name]
  for (let s = test.suite; s && !s.filepath; s = s.suite as VitestTest['suite']) names.unshift(s.name)
  return names.join(' > ')
}

function reasonOf(value: string | true | undefined, setting: string): string | undefined {
  return value === undefined ? undefined : value === true ? `meta.leakproof.${setting}` : value
}

const fileWindow = detector.beginFile(worker.filepath ?? '')

aroundAll(async (runSuite) => {
  await runSuite()
  const verdict = detector.endFile(fileWindow)
  if (fileTask) fileTask.meta.leakproofFile = verdict
  report(verdict, 'after all tests of this file')
}, 0)

// A plain function, not an arrow: the test context is read from `arguments` so that Vitest's
// fixture parser sees no second parameter and does not try to resolve fixtures for this hook.
aroundEach(async function leakproofWindow(runTest: () => Promise<void>) {
  const test = (arguments[1] as TestContext).task as unknown as VitestTest
  fileTask ??= test.file
  // Concurrent tests share the worker at the same time: what one leaves cannot be told from what
  // another does, so they are judged together with their file. A test expected to fail is not judged.
  if (test.concurrent) detector.judgeWithFile(fullName(test))
  if (test.concurrent || test.fails) return runTest()
  const settings = test.meta.leakproof ?? {}
  const name = fullName(test)
  const window = detector.begin({
    file: test.file.filepath,
    fullName: name,
    budget: settings.budget === undefined ? undefined : parseSize(settings.budget, `meta.leakproof.budget of test "${name}"`),
    noRerun: reasonOf(settings.noRerun, 'noRerun'),
    ignore: reasonOf(settings.ignore, 'ignore'),
  })
  try {
    await runTest()
  } finally {
    if (test.result?.state !== 'pass') detector.discard(window)
  }
  if (test.result?.state !== 'pass') return
  const verdict = await detector.end(window, () => clearingRerunMocks(() => rerunTest(test as never, worker.config.sequence.hooks)))
  test.meta.leakproofVerdict = verdict
  await annotate(test, verdict)
  if (verdict.state === 'leak') noRetryOnLeak(test)
  report(verdict, name)
}, 0)
