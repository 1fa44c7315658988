/**
 * The Jest side of leakproof: a mixin for any Jest test environment class. Jest tells an
 * environment about every test through `handleTestEvent`; this maps those events onto the engine's
 * windows and fails tests with the engine's verdict. It judges nothing itself.
 */
import type { EnvironmentContext, JestEnvironment, JestEnvironmentConfig } from '@jest/environment'
import type { Circus } from '@jest/types'
import {
  blameFrame,
  Detector,
  FileCheck,
  fullNameOf,
  heapAtFileEnd,
  judgeLastEnvironmentsWhenAsked,
  LeakproofConfigError,
  leaks,
  packageRoot,
  parseStack,
  registerFrameworkCode,
  registerSourceMapProvider,
  resolveOptions,
  testReport,
  type SourceLocation,
  type TestReport,
  type Verdict,
  worker,
} from '@leakproof/core/worker'
import { rerunTest, snapshotCounterOf } from './rerun.js'
import { writeRecords } from './records.js'
import { LEAKS_KEY } from './shared.js'

export type EnvironmentClass = new (config: JestEnvironmentConfig, context: EnvironmentContext) => JestEnvironment

// What Jest runs itself: its packages, Babel and the plugins and presets babel-jest loads, and what
// jest-circus loads into every test file's context (pure-rand, for --randomize: under Jest 29 with
// workers a clean file's context was seen held through one of its re-export getters).
registerFrameworkCode(
  [packageRoot(__filename)],
  [
    /[\\/]node_modules[\\/](jest-[^\\/]+|@jest|expect|pretty-format|babel-jest|babel-(plugin|preset)-[^\\/]+|@babel|pure-rand|source-map-support|graceful-fs|write-file-atomic)[\\/]/,
  ],
)

// Jest runs code it transformed in memory, and its runtime (which knows the source maps) is out of
// an environment's reach: positions are mapped by the stack formatter Jest installs for each file.
registerSourceMapProvider('stack-formatter')

export function withLeakproof<T extends EnvironmentClass>(Base: T): T {
  // A named class, so Jest's messages about the environment say what it is.
  const LeakproofEnvironment = class extends (Base as EnvironmentClass) {
    constructor(config: JestEnvironmentConfig, context: EnvironmentContext) {
      super(config, context)
      const windows = new TestWindows(this.global, config, context)
      // Wraps whatever handler the base has, a prototype method or an instance field alike.
      const inheritedTeardown = this.teardown
      this.teardown = async () => {
        const global = this.global
        await inheritedTeardown.call(this)
        await windows.release(global)
      }
      const inherited = this.handleTestEvent as JestEnvironment['handleTestEvent']
      this.handleTestEvent = async (event: Circus.Event, state: Circus.State) => {
        await inherited?.call(this, event as never, state)
        await windows.handle(event, state)
      }
    }
  }
  Object.defineProperty(LeakproofEnvironment, 'name', { value: `Leakproof${Base.name || 'Environment'}` })
  return LeakproofEnvironment as unknown as T
}

/**
 * One per test file: maps jest-circus's events onto the engine's `FileCheck`. Tests that wait for a
 * verdict are judged after the file's last test and after its afterAll hooks (see FileCheck), and
 * fail then: jest-circus reads a test's errors when the file's run is over.
 */
class TestWindows {
  private readonly detector: Detector
  private readonly root: string
  private check: FileCheck<Circus.TestEntry> | undefined
  private readonly snapshotCounts = new Map<Circus.TestEntry, number>()
  private readonly records: TestReport[] = []
  private rootTornDown = false
  /** What the file as a whole left (after its afterAll hooks), for the environment check. */
  private fileVerdict: Verdict = { state: 'clean', findings: [], notes: [] }

  constructor(
    private readonly global: JestEnvironment['global'],
    config: JestEnvironmentConfig,
    private readonly context: EnvironmentContext,
  ) {
    this.root = config.projectConfig.rootDir
    const settings = (config.projectConfig.testEnvironmentOptions as { leakproof?: unknown }).leakproof ?? {}
    const options = resolveOptions(settings, 'testEnvironmentOptions.leakproof')
    // Jest's reporter writes the report, in the main process: there the option would do nothing.
    const reportFile = (settings as { reportFile?: unknown }).reportFile
    if (reportFile !== undefined) {
      throw new LeakproofConfigError(
        'testEnvironmentOptions.leakproof.reportFile',
        reportFile,
        `to be an option of the reporter, which writes the report: reporters: ['default', ['@leakproof/jest/reporter', { reportFile: ${JSON.stringify(reportFile)} }]]`,
      )
    }
    this.detector = new Detector(options, { root: this.root, global: this.global })
    Object.defineProperty(this.global, LEAKS_KEY, { value: leaks, configurable: true })
  }

  async handle(event: Circus.Event, state: Circus.State): Promise<void> {
    switch (event.name) {
      // Before the test file and its imports load (jest-circus dispatches `setup` ahead of requiring
      // it): what they make at import (a process listener, an interval) is the file's, as under Vitest.
      case 'setup':
        this.check = new FileCheck(this.detector, this.root, this.context.testPath)
        break
      case 'test_started': {
        const test = event.test
        this.check?.startTest(test, {
          file: this.context.testPath,
          names: namesOf(test),
          concurrent: test.concurrent,
          expectedToFail: test.failing,
        })
        this.snapshotCounts.set(test, snapshotCounterOf(this.global))
        break
      }
      case 'test_done': {
        const test = event.test
        const snapshotCount = this.snapshotCounts.get(test) ?? 0
        this.snapshotCounts.delete(test)
        if (!this.check) break
        // Re-runs come after the file's last test: every block but the root has run its afterAll
        // hooks then, and the root too once run_finish comes.
        const isTornDown = (block: Circus.DescribeBlock): boolean => block.parent !== undefined || this.rootTornDown
        const verdict = await this.check.endTest(test, test.errors.length > 0, (bodyLimitMs) =>
          rerunTest(this.global, test, state, snapshotCount, isTornDown, bodyLimitMs),
        )
        if (verdict) this.apply(test, verdict)
        break
      }
      // After the file's last test, before its afterAll hooks (the root block's first one, or the
      // root block's end when it has none): no test is left to see what re-runs do.
      case 'hook_start':
        if (event.hook.type === 'afterAll' && !event.hook.parent.parent) await this.judgeWaiting()
        break
      case 'run_describe_finish':
        if (!event.describeBlock.parent) await this.judgeWaiting()
        break
      case 'run_finish': {
        this.rootTornDown = true
        if (!this.check) break
        const { file, tests } = await this.check.endFile()
        for (const [test, verdict] of tests) this.apply(test, verdict)
        this.fileVerdict = file
        if (file.state !== 'clean') this.records.push(testReport(this.root, this.context.testPath, '', file))
        const error = this.check.leakError(file, { fallback: { file: this.context.testPath, line: 1, column: 1 } })
        if (error) state.unhandledErrors.push(error)
        break
      }
    }
  }

  private async judgeWaiting(): Promise<void> {
    if (!this.check?.hasWaiting()) return
    for (const [test, verdict] of await this.check.judgeWaiting()) this.apply(test, verdict)
  }

  /** A verdict goes to the report; a leak also fails the test, with the leak's line as its code frame. */
  private apply(test: Circus.TestEntry, verdict: Verdict): void {
    const definition = definitionOf(test)
    const name = fullNameOf(namesOf(test))
    this.records.push(testReport(this.root, this.context.testPath, name, verdict, definition?.line))
    const error = this.check?.leakError(verdict, { fallback: definition })
    if (error) test.errors.push(error)
  }

  /**
   * After the environment's teardown: its global goes to the worker's watcher, which judges the
   * earlier files' environments that must be gone by now; then the file's verdicts (and those) and
   * its point of the worker's heap timeline go to the reporter, when there is one.
   */
  async release(global: JestEnvironment['global']): Promise<void> {
    const point = heapAtFileEnd(this.root, this.context.testPath)
    const environments = await this.detector.releaseEnvironment(this.context.testPath, global, this.fileVerdict)
    for (const { file, verdict } of environments) this.records.push(testReport(this.root, file, '', verdict))
    if (this.detector.watchesEnvironments()) judgeLastEnvironmentsWhenAsked(this.root)
    writeRecords(this.context.testPath, { tests: this.records, heap: { worker, point } })
  }
}

/** Where the test was declared: Jest keeps the stack of the `test()` call. */
function definitionOf(test: Circus.TestEntry): SourceLocation | undefined {
  return blameFrame(parseStack(test.asyncError?.stack))
}

/** Describe blocks (without jest-circus's root block) and the test's name. */
function namesOf(test: Circus.TestEntry): string[] {
  const names = [test.name]
  for (let block = test.parent; block && block.parent; block = block.parent) names.unshift(block.name)
  return names
}
