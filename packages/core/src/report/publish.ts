import { mkdirSync, writeFileSync } from 'node:fs'
import { dirname, resolve } from 'node:path'
import { appendStepSummary, githubAnnotations, markdownSummary } from './github.js'
import type { LeakReport } from './model.js'
import { fixedSinceBaseline, loadBaseline } from './baseline.js'
import { formatBaselineSummary, formatIgnoredSummary, formatTerminalSummary } from './terminal.js'

export interface PublishOptions {
  root: string
  /** Where the JSON report goes (relative to root), or false. */
  reportFile: string | false
  /** The baseline file the run judged against (relative to root), or false. */
  baseline: string | false
  /** Output of the run's summary and annotations (stdout: GitHub reads commands from it). */
  out: { write(text: string): unknown; isTTY?: boolean; columns?: number }
  env: NodeJS.ProcessEnv
  /** The framework's own GitHub Actions reporter is on. */
  frameworkAnnotatesTests: boolean
}

/**
 * Everything a run's report goes to, the same from every adapter: the JSON file, the terminal table,
 * and on GitHub Actions the annotations and the step summary.
 */
export function publishReport(report: LeakReport, options: PublishOptions): void {
  const { root, env, out } = options
  const baseline = loadBaseline(root, options.baseline)
  if (options.baseline && baseline.size > 0) {
    report.baseline = { file: options.baseline, known: report.tests.filter((t) => t.verdict === 'known').map((t) => t.id), fixed: fixedSinceBaseline(report, baseline) }
  }
  if (options.reportFile) {
    const file = resolve(root, options.reportFile)
    mkdirSync(dirname(file), { recursive: true })
    writeFileSync(file, `${JSON.stringify(report, null, 2)}\n`)
  }
  const color = Boolean(out.isTTY) && !env.NO_COLOR && env.TERM !== 'dumb'
  const table = formatTerminalSummary(report, { root, color, width: out.columns })
  if (table) out.write(`\n${table}\n`)
  for (const part of [formatBaselineSummary(report, options.reportFile || 'leakproof-report.json', color), formatIgnoredSummary(report, color)]) {
    if (part) out.write(`\n${part}\n`)
  }
  if (env.GITHUB_ACTIONS === 'true') {
    for (const line of githubAnnotations(report, { root, frameworkAnnotatesTests: options.frameworkAnnotatesTests })) out.write(`${line}\n`)
    if (env.GITHUB_STEP_SUMMARY) appendStepSummary(env.GITHUB_STEP_SUMMARY, markdownSummary(report, root))
  }
}
