/**
 * `reporters: ['default', '@leakproof/jest/reporter']` (options: `['@leakproof/jest/reporter',
 * { reportFile }]`): after the run, the run's report from every test file's verdicts, published as
 * every adapter publishes it — the JSON file, the terminal table, GitHub annotations and summary.
 */
import { mkdtempSync, rmSync } from 'node:fs'
import { createRequire } from 'node:module'
import { tmpdir } from 'node:os'
import { join, relative, sep } from 'node:path'
import type { Config } from '@jest/types'
import type { AggregatedResult, Reporter, TestContext, TestResult } from '@jest/reporters'
import {
  byWorker,
  finishEnvironments,
  interruptedChecks,
  lastEnvironments,
  runFailure,
  newReport,
  prepareCheckingDir,
  publishReport,
  resolveOptions,
  resolveReportOptions,
  testReport,
  unmatchedBudgetFiles,
  workerDeaths,
  type HeapPoint,
  type TestReport,
} from '@leakproof/core'
import { readRecords, RECORDS_DIR_VARIABLE } from './records.js'

export default class LeakproofReporter implements Pick<Reporter, 'onTestResult' | 'onRunComplete' | 'getLastError'> {
  private readonly options: ReturnType<typeof resolveReportOptions>
  private readonly dir: string
  private tests: TestReport[] = []
  private heap: Array<{ worker: string; point: HeapPoint }> = []
  /** Files whose worker Jest saw crash, with its error. */
  private crashed = new Map<string, string>()
  /** What fails the run besides its tests: test files whose environment stayed alive. */
  private lastError: Error | undefined

  constructor(
    private readonly globalConfig: Config.GlobalConfig,
    options: unknown,
  ) {
    this.options = resolveReportOptions(options ?? {}, "the options of '@leakproof/jest/reporter'")
    this.dir = mkdtempSync(join(tmpdir(), 'leakproof-jest-'))
    process.env[RECORDS_DIR_VARIABLE] = this.dir
    prepareCheckingDir(this.checkingDir)
    // Jest has no hook after the last run of a watch session: the folder goes with the process.
    process.once('exit', () => rmSync(this.dir, { recursive: true, force: true }))
  }

  async onTestResult(_test: unknown, result: TestResult, run: AggregatedResult): Promise<void> {
    // jest-worker's words for a worker that died in the file (worker-deaths.ts): out of memory, retries
    // exceeded, or ended by a signal or an unknown exit. Jest 29 sends the SIGTERM itself once V8's
    // out-of-memory output reaches the worker's stderr, often before Node has begun its report, and
    // then says the worker "was terminated by another process".
    const error = result.testExecError?.message
    if (error && /jest worker .*(crashed|exceptions|terminated)|ran out of memory/i.test(error))
      this.crashed.set(relative(this.globalConfig.rootDir, result.testFilePath).split(sep).join('/'), error)
    const { tests, heap } = readRecords(this.dir, result.testFilePath)
    this.tests.push(...tests)
    if (heap) this.heap.push(heap)
    // The run's last file: its workers, idle, still live (Jest ends them once this returns), and
    // judge the environments of their last files (see last-environments.ts).
    if (run.testResults.length === run.numTotalTestSuites)
      this.tests.push(...(await lastEnvironments(this.checkingDir, { ask: true })))
  }

  /** Where workers note the test they are checking (see interrupted.ts). */
  private get checkingDir(): string {
    return join(this.dir, 'checking')
  }

  async onRunComplete(contexts: Set<TestContext>, results: AggregatedResult): Promise<void> {
    warnUnmatchedBudgets(contexts, results)
    const { rootDir, shard, reporters } = this.globalConfig
    // In band, the files ran in this process: the end of the run is the end of its one worker, and
    // the environments of its last files are judged here (see finishEnvironments).
    for (const { file, verdict } of await finishEnvironments()) this.tests.push(testReport(rootDir, file, '', verdict))
    this.tests.push(...interruptedChecks(this.checkingDir))
    const deaths = workerDeaths(this.checkingDir, this.crashed)
    // Watch mode runs again: each run starts with no notes.
    prepareCheckingDir(this.checkingDir)
    publishReport(
      newReport(
        { name: 'jest', version: jestVersion(rootDir) },
        this.tests,
        shard ? { index: shard.shardIndex, count: shard.shardCount } : undefined,
        byWorker(this.heap, deaths),
      ),
      {
        root: rootDir,
        reportFile: this.options.reportFile,
        baseline: this.options.baseline,
        out: process.stdout,
        env: process.env,
        frameworkAnnotatesTests: (reporters ?? []).some((r) => (Array.isArray(r) ? r[0] : r) === 'github-actions'),
      },
    )
    this.lastError = runFailure(this.tests)
    // Watch mode runs again with this reporter: each run reports its own tests.
    this.tests = []
    this.heap = []
    this.crashed = new Map()
  }

  /** Jest fails the run (exit code 1) when a reporter has an error: no test result carries these. */
  getLastError(): Error | undefined {
    return this.lastError
  }
}

/**
 * Budget rules whose file globs match none of the files this run ran. Jest does not tell a reporter
 * a project's test files before the run, so the warning comes at its end.
 */
function warnUnmatchedBudgets(contexts: Set<TestContext>, results: AggregatedResult): void {
  for (const { config } of contexts) {
    let options
    try {
      options = resolveOptions(
        (config.testEnvironmentOptions as { leakproof?: unknown }).leakproof ?? {},
        'testEnvironmentOptions.leakproof',
      )
    } catch {
      continue // Each test file's environment reported it already.
    }
    const files = results.testResults
      .filter((r) => r.testFilePath.startsWith(config.rootDir))
      .map((r) => relative(config.rootDir, r.testFilePath).split(sep).join('/'))
    for (const warning of unmatchedBudgetFiles(options, files, 'the test files this run ran'))
      process.stderr.write(`${warning}\n`)
  }
}

function jestVersion(rootDir: string): string {
  try {
    return (createRequire(join(rootDir, 'package.json'))('jest/package.json') as { version: string }).version
  } catch {
    return 'unknown'
  }
}
