/**
 * Added next to the user's reporters by the plugin: at the end of the run, the verdicts the
 * workers left in each test's meta become one report, published as every adapter publishes it.
 */
import { newReport, publishReport, testReport, type ResolvedOptions, type TestReport, type Verdict } from '@leakproof/core'
import type { Reporter, TestModule, Vitest } from 'vitest/node'

export class LeakproofReporter implements Reporter {
  constructor(
    private readonly options: ResolvedOptions,
    private readonly vitest: Vitest,
  ) {}

  onTestRunEnd(modules: ReadonlyArray<TestModule>): void {
    const root = this.vitest.config.root
    const tests: TestReport[] = []
    for (const module of modules) {
      const fileVerdict = (module.meta() as { leakproofFile?: Verdict }).leakproofFile
      if (fileVerdict && fileVerdict.state !== 'clean') tests.push(testReport(root, module.moduleId, '', fileVerdict))
      for (const test of module.children.allTests()) {
        const verdict = (test.meta() as { leakproofVerdict?: Verdict }).leakproofVerdict
        if (verdict) tests.push(testReport(root, module.moduleId, test.fullName, verdict, test.location?.line))
      }
    }
    const shard = this.vitest.config.shard
    publishReport(newReport({ name: 'vitest', version: this.vitest.version }, tests, shard ? { index: shard.index, count: shard.count } : undefined), {
      root,
      reportFile: this.options.reportFile,
      baseline: this.options.baseline,
      out: process.stdout,
      env: process.env,
      // Vitest adds it by itself when GITHUB_ACTIONS is set and no reporter was asked for.
      frameworkAnnotatesTests: (this.vitest.config.reporters as unknown[]).some((r) => r === 'github-actions' || (Array.isArray(r) && r[0] === 'github-actions')),
    })
  }
}
