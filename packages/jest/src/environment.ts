/**
 * The Jest side of leakproof: a mixin for any Jest test environment class. Jest tells an
 * environment about every test through `handleTestEvent`; this maps those events onto the engine's
 * windows and fails tests with the engine's verdict. It judges nothing itself.
 */
import type { EnvironmentContext, JestEnvironment, JestEnvironmentConfig } from '@jest/environment'
import type { Circus } from '@jest/types'
import { blameFrame, Detector, formatVerdict, LeakproofConfigError, leakLocation, leaks, LeakError, packageRoot, parseStack, registerFrameworkCode, registerSourceMapProvider, resolveOptions, runningScriptsSourceMaps, testReport, type SourceLocation, type TestReport, type Verdict, type Window } from '@leakproof/core'
import { rerunTest, snapshotCounterOf } from './rerun.js'
import { writeRecords } from './records.js'
import { LEAKS_KEY } from './shared.js'

export type EnvironmentClass = new (config: JestEnvironmentConfig, context: EnvironmentContext) => JestEnvironment

registerFrameworkCode(
  [packageRoot(__filename)],
  [/[\\/]node_modules[\\/](jest-[^\\/]+|@jest|expect|pretty-format|babel-jest|babel-plugin-istanbul|@babel|source-map-support|graceful-fs|write-file-atomic)[\\/]/],
)

// Jest runs code it transformed in memory with inline source maps, and its runtime (which knows
// them) is out of an environment's reach: allocation sites are mapped through what V8 saw.
registerSourceMapProvider(runningScriptsSourceMaps())

export function withLeakproof<T extends EnvironmentClass>(Base: T): T {
  // A named class, so Jest's messages about the environment say what it is.
  const LeakproofEnvironment = class extends (Base as EnvironmentClass) {
    constructor(config: JestEnvironmentConfig, context: EnvironmentContext) {
      super(config, context)
      const windows = new TestWindows(this.global, config, context)
      // Wraps whatever handler the base has, a prototype method or an instance field alike.
      const inheritedTeardown = this.teardown
      this.teardown = async () => {
        windows.publish()
        await inheritedTeardown.call(this)
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

/** One per test file: the file's window and the window of the test that is running. */
class TestWindows {
  private readonly detector: Detector
  private readonly root: string
  private fileWindow: Window | undefined
  private readonly open = new Map<Circus.TestEntry, { window: Window; snapshotCount: number }>()
  private readonly records: TestReport[] = []

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
      throw new LeakproofConfigError('testEnvironmentOptions.leakproof.reportFile', reportFile, `to be an option of the reporter, which writes the report: reporters: ['default', ['@leakproof/jest/reporter', { reportFile: ${JSON.stringify(reportFile)} }]]`)
    }
    this.detector = new Detector(options, { root: this.root, global: this.global })
    Object.defineProperty(this.global, LEAKS_KEY, { value: leaks, configurable: true })
  }

  async handle(event: Circus.Event, state: Circus.State): Promise<void> {
    switch (event.name) {
      case 'run_start':
        this.fileWindow = this.detector.beginFile(this.context.testPath)
        break
      case 'test_started': {
        const test = event.test
        // Concurrent tests run side by side: what one leaves cannot be told from what another
        // does, so they are judged together with their file. A test expected to fail is not judged.
        if (test.concurrent) this.detector.judgeWithFile(fullName(test))
        if (test.concurrent || test.failing) break
        this.open.set(test, {
          window: this.detector.begin({ file: this.context.testPath, fullName: fullName(test) }),
          snapshotCount: snapshotCounterOf(this.global),
        })
        break
      }
      case 'test_done': {
        const opened = this.open.get(event.test)
        if (!opened) break
        this.open.delete(event.test)
        const test = event.test
        // A test that failed on its own: that failure stands alone.
        if (test.errors.length > 0) {
          this.detector.discard(opened.window)
          break
        }
        const verdict = await this.detector.end(opened.window, () => rerunTest(this.global, test, state, opened.snapshotCount))
        const definition = definitionOf(test)
        this.records.push(testReport(this.root, this.context.testPath, fullName(test), verdict, definition?.line))
        const error = this.report(verdict, fullName(test), definition)
        if (error) test.errors.push(error)
        break
      }
      case 'run_finish': {
        if (!this.fileWindow) break
        const verdict = this.detector.endFile(this.fileWindow)
        if (verdict.state !== 'clean') this.records.push(testReport(this.root, this.context.testPath, '', verdict))
        const error = this.report(verdict, 'after all tests of this file', { file: this.context.testPath, line: 1, column: 1 })
        if (error) state.unhandledErrors.push(error)
        break
      }
    }
  }

  /** Hands the file's verdicts to the reporter, when there is one. */
  publish(): void {
    writeRecords(this.context.testPath, this.records)
  }

  /**
   * Warnings and notes go to the test file's console, as the test's own output does; a leak becomes
   * the error, with the leak's line (else `fallback`) as its stack frame: Jest shows it as a code frame.
   */
  private report(verdict: Verdict, where: string, fallback: SourceLocation | undefined): LeakError | undefined {
    const console = this.global.console as Console
    const warnings = formatVerdict(verdict, 'warn', { root: this.root })
    if (warnings) console.warn(`leakproof warning (${where}): ${warnings}`)
    for (const note of verdict.notes) if (verdict.state !== 'skipped') console.warn(`leakproof (${where}): ${note}`)
    if (verdict.state !== 'leak') return undefined
    const errors = verdict.findings.filter((f) => f.severity === 'error')
    return new LeakError(verdict, formatVerdict(verdict, 'error', { root: this.root }), leakLocation(errors) ?? fallback)
  }
}

/** Where the test was declared: Jest keeps the stack of the `test()` call. */
function definitionOf(test: Circus.TestEntry): SourceLocation | undefined {
  return blameFrame(parseStack(test.asyncError?.stack))
}

/** Describe blocks and test name joined by ` > `, as the Vitest adapter names tests. */
function fullName(test: Circus.TestEntry): string {
  const names = [test.name]
  for (let block = test.parent; block && block.parent; block = block.parent) names.unshift(block.name)
  return names.join(' > ')
}

