import { mkdirSync, writeFileSync } from 'node:fs'
import { dirname, resolve } from 'node:path'
import { appendStepSummary, githubAnnotations, markdownSummary } from './github.js'
import type { LeakReport } from './model.js'
import { baselineResult, loadBaseline } from './baseline.js'
import {
  formatBaselineSummary,
  formatHeapSummary,
  formatIgnoredSummary,
  formatNotesSummary,
  formatTerminalSummary,
} from './terminal.js'
import { formatInterruptedSummary } from './interrupted.js'

export interface PublishOptions {
  root: string
  /** Where the JSON report goes (relative to root), or false. A shard's goes beside it: see {@link shardReportFile}. */
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
  if (options.baseline) report.baseline = baselineResult(report, loadBaseline(root, options.baseline), options.baseline)
  if (options.reportFile) {
    const file = resolve(root, shardReportFile(options.reportFile, report.shard))
    mkdirSync(dirname(file), { recursive: true })
    writeFileSync(file, `${JSON.stringify(report, null, 2)}\n`)
  }
  const color = Boolean(out.isTTY) && !env.NO_COLOR && env.TERM !== 'dumb'
  const table = formatTerminalSummary(report, { root, color, width: out.columns })
  if (table) out.write(`\n${table}\n`)
  for (const part of [
    formatNotesSummary(report, { root, color, width: out.columns }),
    formatBaselineSummary(report, options.reportFile || 'leakproof-report.json', color),
    formatIgnoredSummary(report, color),
    formatInterruptedSummary(report.tests, color),
    formatHeapSummary(report, root, color),
  ]) {
    if (part) out.write(`\n${part}\n`)
  }
  if (env.GITHUB_ACTIONS === 'true') {
    for (const line of githubAnnotations(report, { root, frameworkAnnotatesTests: options.frameworkAnnotatesTests }))
      out.write(`${line}\n`)
    if (env.GITHUB_STEP_SUMMARY) appendStepSummary(env.GITHUB_STEP_SUMMARY, markdownSummary(report, root))
  }
}

/**
 * Where one shard's report goes: `leakproof-report.json` → `leakproof-report.shard-2-of-3.json`
 * (before the extension, or at the end when there is none), so that shards run on one machine, or
 * whose files are gathered into one folder, never overwrite each other; `leakproof report` merges
 * them. A run that is not sharded, and Vitest's `--merge-reports` run, write `file` itself.
 */
export function shardReportFile(file: string, shard: LeakReport['shard']): string {
  if (!shard) return file
  const tag = `.shard-${shard.index}-of-${shard.count}`
  const dot = file.lastIndexOf('.')
  return dot > Math.max(file.lastIndexOf('/'), file.lastIndexOf('\\')) + 1
    ? `${file.slice(0, dot)}${tag}${file.slice(dot)}`
    : `${file}${tag}`
}
