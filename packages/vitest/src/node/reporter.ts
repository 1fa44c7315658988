/**
 * Added next to the user's reporters by the plugin: at the end of the run, the verdicts the
 * workers left in each test's meta become one report, published as every adapter publishes it.
 */
import { rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, relative, sep } from 'node:path'
import {
  byWorker,
  interruptedChecks,
  lastEnvironments,
  newReport,
  prepareCheckingDir,
  publishReport,
  runFailure,
  testReport,
  unmatchedBudgetFiles,
  workerDeaths,
  type HeapPoint,
  type ResolvedOptions,
  type TestReport,
  type Verdict,
} from '@leakproof/core'
import type { Reporter, TestModule, Vitest } from 'vitest/node'

export class LeakproofReporter implements Reporter {
  /** Where workers note the test they are checking (see interrupted.ts); made before any worker starts. */
  private readonly checkingDir = join(tmpdir(), `leakproof-checking-${process.pid}`)

  constructor(
    private readonly options: ResolvedOptions,
    private readonly vitest: Vitest,
  ) {
    prepareCheckingDir(this.checkingDir)
    process.once('exit', () => rmSync(this.checkingDir, { recursive: true, force: true }))
  }

  /** Before any test: budget rules whose file globs match none of the project's test files. */
  async onTestRunStart(): Promise<void> {
    // Watch mode: each run starts with no notes.
    prepareCheckingDir(this.checkingDir)
    if (!this.options.budgets.some((rule) => rule.files)) return
    const root = this.vitest.config.root
    const files = (await this.vitest.globTestSpecifications()).map((spec) =>
      relative(root, spec.moduleId).split(sep).join('/'),
    )
    for (const warning of unmatchedBudgetFiles(this.options, files, "this project's test files"))
      process.stderr.write(`${warning}\n`)
  }

  async onTestRunEnd(
    modules: ReadonlyArray<TestModule>,
    _errors: unknown,
    reason: 'passed' | 'interrupted' | 'failed',
  ): Promise<void> {
    const root = this.vitest.config.root
    // Vitest ends a stopping worker after 60 s; an interrupted run's workers are ended at once.
    const tests: TestReport[] =
      reason === 'interrupted' ? [] : await lastEnvironments(this.checkingDir, { ask: false, waitMs: 70_000 })
    const heap: Array<{ worker: string; point: HeapPoint }> = []
    for (const module of modules) {
      const meta = module.meta() as {
        leakproofFile?: Verdict
        leakproofHeap?: { worker: string; point: HeapPoint }
        leakproofEnvironments?: Array<{ file: string; verdict: Verdict }>
      }
      if (meta.leakproofFile && meta.leakproofFile.state !== 'clean')
        tests.push(testReport(root, module.moduleId, '', meta.leakproofFile))
      if (meta.leakproofHeap) heap.push(meta.leakproofHeap)
      for (const { file, verdict } of meta.leakproofEnvironments ?? []) tests.push(testReport(root, file, '', verdict))
      for (const test of module.children.allTests()) {
        const verdict = (test.meta() as { leakproofVerdict?: Verdict }).leakproofVerdict
        if (verdict) tests.push(testReport(root, module.moduleId, test.fullName, verdict, test.location?.line))
      }
    }
    tests.push(...interruptedChecks(this.checkingDir))
    // Found after those files' results went out: the run fails for them (see runFailure).
    if (runFailure(tests)) process.exitCode = 1
    const shard = this.vitest.config.shard
    publishReport(
      newReport(
        { name: 'vitest', version: this.vitest.version },
        tests,
        shard ? { index: shard.index, count: shard.count } : undefined,
        byWorker(heap, workerDeaths(this.checkingDir)),
      ),
      {
        root,
        reportFile: this.options.reportFile,
        baseline: this.options.baseline,
        out: process.stdout,
        env: process.env,
        // Vitest's github-actions reporter (on by itself when GITHUB_ACTIONS is set and no reporter
        // was asked for) annotates an error at its stack's nearest frame in the project, and a
        // LeakError has none here (Vitest would source-map a frame in it once more): leakproof
        // annotates each leaking test itself. Other failures keep Vitest's annotations.
        frameworkAnnotatesTests: false,
      },
    )
  }
}
