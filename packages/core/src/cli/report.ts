import { randomBytes } from 'node:crypto'
import { readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs'
import { basename, dirname, join, resolve } from 'node:path'
import { markdownSummary } from '../report/github.js'
import { mergeReports, parseReport, ReportError, reportRoot, type SavedReport } from '../report/merge.js'
import type { LeakReport } from '../report/model.js'
import { baselineResult, DEFAULT_BASELINE_FILE, loadBaseline } from '../report/baseline.js'
import { formatInterruptedSummary } from '../report/interrupted.js'
import { formatBaselineSummary, formatIgnoredSummary, formatTerminalSummary } from '../report/terminal.js'
import type { Command } from './commands.js'
import { CliError, colorsFor, type CliIo } from './context.js'

/**
 * `leakproof report a.json [b.json …]`: a saved run report printed again (the terminal table, or the
 * Markdown step summary), and the reports of a sharded run's shards merged into one. Every input is
 * read and checked before anything is written, and `--json` never writes over an input.
 */
export const report: Command = {
  name: 'report',
  summary: "print a saved leakproof-report.json again, or merge the reports of a run's shards into one",
  positionals: [
    {
      name: '<report.json>',
      variadic: true,
      description: 'a leakproof-report.json; several: the shards of one run, merged',
    },
  ],
  flags: [
    {
      name: 'markdown',
      kind: 'boolean',
      description: 'print the GitHub Markdown summary (table and chart) instead of the terminal table',
    },
    {
      name: 'json',
      kind: 'string',
      value: '<out.json>',
      description: 'also write the (merged) report to this file; never one of the inputs',
    },
    {
      name: 'root',
      kind: 'string',
      value: '<dir>',
      description:
        "the project root the report's absolute paths are shown relative to (default: the one the report was made in, when its findings tell)",
    },
    {
      name: 'baseline',
      kind: 'string',
      value: '<file>',
      description: `the baseline to apply over the whole (merged) run (default ${DEFAULT_BASELINE_FILE}, when it exists)`,
    },
  ],
  examples: [
    'leakproof report leakproof-report.json',
    'leakproof report reports/leakproof-report.shard-*.json --json leakproof-report.json',
    'leakproof report reports/*.json --markdown >> "$GITHUB_STEP_SUMMARY"',
  ],
  async run({ positionals, flags }, io: CliIo) {
    const paths = positionals.map((file) => resolve(io.cwd, file))
    paths.forEach((path, i) => {
      const j = paths.indexOf(path)
      if (j !== i)
        throw new CliError(
          `leakproof: ${positionals[j]} is given twice${positionals[j] === positionals[i] ? '' : ` (also as ${positionals[i]})`}; give each report once.`,
        )
    })
    const out = typeof flags.json === 'string' ? resolve(io.cwd, flags.json) : undefined
    if (out && paths.includes(out))
      throw new CliError(
        `leakproof: --json ${flags.json} is one of the reports being read; write the merged report to another file.`,
      )

    const merged = readAndMerge(positionals, io.cwd)
    const { report, missingShards, shardCount } = merged
    // The baseline, applied once over the whole run: known leaks, and those fixed since (each shard
    // only knew its own tests).
    const baselineFile = typeof flags.baseline === 'string' ? flags.baseline : DEFAULT_BASELINE_FILE
    const baseline = baselineResult(report, loadBaseline(io.cwd, baselineFile), baselineFile)
    if (baseline) report.baseline = baseline
    else delete report.baseline
    if (out) writeAtomically(out, `${JSON.stringify(report, null, 2)}\n`)

    const root = typeof flags.root === 'string' ? resolve(io.cwd, flags.root) : (reportRoot(report) ?? io.cwd)
    if (flags.markdown === true) {
      io.stdout.write(markdownSummary(report, root))
    } else {
      const color = Boolean(io.stdout.isTTY) && !io.env.NO_COLOR && io.env.TERM !== 'dumb'
      const table = formatTerminalSummary(report, { root, color, width: io.stdout.columns })
      const c = colorsFor(io.stdout, io.env)
      io.stdout.write(
        `${table || `${c.bold('leakproof')}: no leaking tests`}\n${c.dim(`  ${provenance(report, positionals.length)}`)}\n`,
      )
      for (const part of [
        formatBaselineSummary(report, positionals.length === 1 ? positionals[0]! : 'leakproof-report.json', color),
        formatIgnoredSummary(report, color),
        formatInterruptedSummary(report.tests, color),
      ]) {
        if (part) io.stdout.write(`\n${part}\n`)
      }
    }
    const e = colorsFor(io.stderr, io.env)
    if (missingShards.length > 0) {
      io.stderr.write(
        `${e.yellow('leakproof report:')} ${missingShards.length === 1 ? 'shard' : 'shards'} ${list(missingShards)} of ${shardCount} ${missingShards.length === 1 ? 'is' : 'are'} missing: the merged report has only the tests of the shards given\n`,
      )
    }
    if (out)
      io.stderr.write(
        `${e.dim(`leakproof report: wrote ${flags.json} (${checked(report)} tests${positionals.length > 1 ? ` from ${positionals.length} reports` : ''})`)}\n`,
      )
    return 0
  },
}

/** Reads and merges saved reports (one, or a run's shards), refusals as one-line CLI errors. */
export function readAndMerge(files: string[], cwd: string): ReturnType<typeof mergeReports> {
  try {
    const inputs: SavedReport[] = files.map((file) => ({
      file,
      report: parseReport(readReportText(resolve(cwd, file), file), file),
    }))
    return mergeReports(inputs)
  } catch (error) {
    if (error instanceof ReportError) throw new CliError(`leakproof: ${error.message}.`)
    throw error
  }
}

function readReportText(path: string, file: string): string {
  try {
    return readFileSync(path, 'utf8')
  } catch {
    throw new CliError(`leakproof: report ${file} does not exist or cannot be read; check the path.`)
  }
}

/** `--json`: a temporary file beside the target, renamed over it, so a failure never leaves half a file where a good one was. */
function writeAtomically(path: string, text: string): void {
  const temporary = join(dirname(path), `.${basename(path)}.${randomBytes(4).toString('hex')}.tmp`)
  try {
    writeFileSync(temporary, text)
    renameSync(temporary, path)
  } catch (error) {
    rmSync(temporary, { force: true })
    throw new CliError(
      `leakproof: cannot write ${path} (${(error as NodeJS.ErrnoException).code ?? (error as Error).message}); check the folder exists and can be written.`,
    )
  }
}

/** The line under the table: which run this is, so a table read days later says where it came from. */
function provenance(report: LeakReport, files: number): string {
  const n = checked(report)
  const run = `${n} ${n === 1 ? 'test' : 'tests'} checked by ${report.framework.name} ${report.framework.version} on Node ${report.node}`
  const at = report.createdAt.replace('T', ' ').replace(/:\d\d(\.\d+)?Z$/, ' UTC')
  if (files > 1) return `${run}; merged from ${files} reports, the last made ${at}`
  return `${run}, ${at}${report.shard ? `; shard ${report.shard.index} of ${report.shard.count}` : ''}`
}

/** Tests, not the file-level entries (fullName ''). */
function checked(report: LeakReport): number {
  return report.tests.filter((t) => t.fullName !== '').length
}

function list(numbers: number[]): string {
  return numbers.length === 1 ? String(numbers[0]) : `${numbers.slice(0, -1).join(', ')} and ${numbers.at(-1)}`
}
