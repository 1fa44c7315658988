/**
 * The contract between the engine and a test framework, written once: an adapter tells a
 * `FileCheck` when each test starts and ends and when the file is done, and applies the verdicts
 * it gets back. What a verdict means, which tests are judged and what a failure says are decided
 * here and in rules.ts, so Vitest and Jest behave the same on the same test.
 *
 * The events, in the order a file runs them:
 * - `startTest(test, info)` — before the test's beforeEach hooks.
 * - `endTest(test, ownFailure, rerun)` — after its afterEach hooks. A verdict comes back when it is
 *   known already; otherwise (undefined) the test waits.
 * - `judgeWaiting()` — where no test of the file is left to see a re-run's side effects: after the
 *   file's last test, before its afterAll hooks. Verdicts come back for the waiting tests a full GC
 *   and re-runs can judge; the adapter fails the leaking ones before the file's result is final.
 * - `endFile()` — after the file's afterAll hooks: the tests that left handles, listeners or
 *   globals are judged on what is still there (a server a suite closes in afterAll is not left
 *   behind), then what the file as a whole left.
 */
import type { Detector, Judged, Rerun } from './detector.js'
import type { FileVerdict } from './environment-verdicts.js'
import { LeakError } from './errors.js'
import type { SourceLocation, Verdict } from './findings.js'
import { formatVerdict, leakLocation } from './format.js'
import { failsTest, fullNameOf, judgingOf, type HostTest } from './rules.js'
import type { TestInfo, Window } from './window.js'

export interface StartedTest extends HostTest {
  /** Absolute path of the test file. */
  file: string
  /** Describe blocks, outermost first, then the test's own name. */
  names: readonly string[]
  budget?: number
  noRerun?: string
  ignore?: string
}

export class FileCheck<T> {
  private readonly windows = new Map<T, Window>()
  private readonly waiting = new Map<Window, T>()
  private readonly fileWindow: Window

  constructor(
    readonly detector: Detector,
    private readonly root: string,
    private readonly file: string,
  ) {
    this.fileWindow = detector.beginFile(file)
  }

  startTest(test: T, started: StartedTest): void {
    const fullName = fullNameOf(started.names)
    const judging = judgingOf(started)
    if (judging === 'with-file') this.detector.judgeWithFile(fullName)
    if (judging !== 'alone') return
    const info: TestInfo = {
      file: started.file,
      fullName,
      budget: started.budget,
      noRerun: started.noRerun,
      ignore: started.ignore,
    }
    this.windows.set(test, this.detector.begin(info))
  }

  /**
   * A test that failed on its own (`ownFailure`) is not judged: that failure stands alone, and a leak
   * check must never hide it. Returns the verdict, or undefined while the test waits for `judgeWaiting`.
   */
  async endTest(test: T, ownFailure: boolean, rerun: Rerun | undefined): Promise<Verdict | undefined> {
    const window = this.windows.get(test)
    if (!window) return undefined
    this.windows.delete(test)
    if (ownFailure) {
      this.detector.discard(window)
      return undefined
    }
    const verdict = await this.detector.end(window, rerun)
    if (!verdict) this.waiting.set(window, test)
    return verdict
  }

  /** True while a test `select` picks waits for its verdict. */
  hasWaiting(select: (test: T) => boolean = () => true): boolean {
    return this.detector.hasWaiting((w) => this.waiting.has(w) && select(this.waiting.get(w)!))
  }

  /** After the file's last test, before its afterAll hooks: the verdicts a full GC and re-runs give. */
  async judgeWaiting(): Promise<Array<[T, Verdict]>> {
    return this.testsOf(await this.detector.judgeWaiting())
  }

  /**
   * After the file's afterAll hooks: every test still waiting is judged (what it left that the hooks
   * did not take down), then the file itself.
   */
  async endFile(): Promise<{ file: Verdict; tests: Array<[T, Verdict]> }> {
    const tests = [...(await this.judgeWaiting()), ...this.testsOf(await this.detector.judgeAfterTeardown())]
    return { file: this.detector.endFile(this.fileWindow), tests }
  }

  /**
   * After the file's teardown, with the global its tests ran against and the file's own verdict
   * (from `endFile`): the verdicts on earlier files of this worker whose whole environment is still
   * alive (see environments.ts).
   */
  releaseEnvironment(global: object, fileVerdict: Verdict): Promise<FileVerdict[]> {
    return this.detector.releaseEnvironment(this.file, global, fileVerdict)
  }

  private testsOf(judged: Judged[]): Array<[T, Verdict]> {
    return judged.map(({ window, verdict }) => {
      const test = this.waiting.get(window)!
      this.waiting.delete(window)
      return [test, verdict]
    })
  }

  /**
   * The error a leaking test fails with, or undefined. `frame`: a place to show as the error's one
   * stack frame for hosts that print a code frame from the stack as it is (the leak's own line,
   * else `fallback`); hosts that source-map stacks again pass `frame: false`.
   */
  leakError(verdict: Verdict, frame: { fallback?: SourceLocation } | false): LeakError | undefined {
    if (!failsTest(verdict)) return undefined
    const message = formatVerdict(verdict, 'error', { root: this.root })
    if (frame === false) return new LeakError(verdict, message)
    return new LeakError(
      verdict,
      message,
      leakLocation(verdict.findings.filter((f) => f.severity === 'error')) ?? frame.fallback,
    )
  }
}
