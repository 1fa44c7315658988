/**
 * `reporters: ['default', '@leakproof/jest/reporter']`: after the run, one list of every leak the
 * run found, from the LeakErrors the environment attached to failing tests and files.
 */
import type { AggregatedResult, Reporter, TestContext } from '@jest/reporters'
import { formatLeakSummary, summaryEntry, type Finding, type LeakSummaryEntry } from '@leakproof/core'

interface LeakErrorData {
  code?: string
  findings?: Finding[]
}

const isLeak = (detail: unknown): detail is LeakErrorData => (detail as LeakErrorData | null)?.code === 'LEAKPROOF_LEAK'

export default class LeakproofReporter implements Pick<Reporter, 'onRunComplete' | 'getLastError'> {
  constructor(private readonly globalConfig: { rootDir: string }) {}

  onRunComplete(_contexts: Set<TestContext>, results: AggregatedResult): void {
    const entries: LeakSummaryEntry[] = []
    for (const file of results.testResults) {
      for (const test of file.testResults) {
        for (const detail of test.failureDetails) {
          if (isLeak(detail)) entries.push(summaryEntry(file.testFilePath, [...test.ancestorTitles, test.title].join(' > '), detail.findings ?? []))
        }
      }
      // A file's own LeakError reaches reporters as text only (Jest keeps the stack of a file's errors).
      for (const line of (file.testExecError?.stack ?? '').split('\n')) {
        if (line.startsWith('LeakError: ')) entries.push({ file: file.testFilePath, test: '', headline: line.slice('LeakError: '.length), perRun: 0 })
      }
    }
    const summary = formatLeakSummary(entries, { root: this.globalConfig.rootDir, color: process.stderr.isTTY && !process.env.NO_COLOR })
    if (summary) process.stderr.write(`\n${summary}\n`)
  }

  getLastError(): Error | undefined {
    return undefined
  }
}
