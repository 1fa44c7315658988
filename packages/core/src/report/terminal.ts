import pc from 'picocolors'
import type { LeakReport } from './model.js'
import { formatFindings, relativeFile } from '../format.js'
import { leakRows } from './rows.js'
import { HEAP_GROWTH_NOTICE, heapGrowthLines, workerDeathLines } from '../heap-timeline.js'

export interface TerminalOptions {
  root: string
  color: boolean
  /** Columns available; long cells are cut to fit. */
  width?: number
}

/** The end-of-run table of leaking tests, biggest first; '' when the run leaked nothing. */
export function formatTerminalSummary(report: LeakReport, options: TerminalOptions): string {
  const rows = leakRows(report, options.root)
  if (rows.length === 0) return ''
  const c = pc.createColors(options.color)
  const files = new Set(rows.map((r) => r.test.file)).size
  const header = ['test', 'kind', 'left', 'per run', 'cause']
  const cells = rows.map((r) => [
    r.test.fullName ? `${r.test.file} > ${r.test.fullName}` : `${r.test.file} (after all)`,
    r.kinds.join(', '),
    r.size,
    r.perRun,
    r.cause,
  ])
  const widths = header.map((h, i) => Math.max(h.length, ...cells.map((row) => row[i]!.length)))
  // The test and cause columns give way when the table would not fit.
  const width = options.width ?? 160
  const fixed = widths[1]! + widths[2]! + widths[3]! + 4 * 2 + 2
  const flexible = Math.max(20, width - fixed)
  if (widths[0]! + widths[4]! > flexible) {
    widths[0] = Math.min(widths[0]!, Math.max(20, Math.floor(flexible * 0.55)))
    widths[4] = Math.max(10, flexible - widths[0]!)
  }
  const cut = (text: string, w: number): string => (text.length > w ? `${text.slice(0, w - 1)}…` : text.padEnd(w))
  const line = (row: string[], paint: (s: string, i: number) => string = (s) => s): string =>
    `  ${row.map((cell, i) => paint(i === 2 || i === 3 ? cell.padStart(widths[i]!) : cut(cell, widths[i]!), i)).join('  ')}`.trimEnd()
  return [
    `${c.bold('leakproof')}: ${c.red(`${rows.length} leaking ${rows.length === 1 ? 'test' : 'tests'}`)} in ${files} ${files === 1 ? 'file' : 'files'}`,
    line(header, (s) => c.dim(s)),
    ...cells.map((row) => line(row, (s, i) => (i === 1 ? c.red(s) : i === 4 ? c.dim(s) : s))),
  ].join('\n')
}

/** The baseline's part of a run: the known leaks that passed, and those fixed since (to drop from the file). */
export function formatBaselineSummary(report: LeakReport, reportFile: string, color: boolean): string {
  if (!report.baseline) return ''
  const c = pc.createColors(color)
  const { file, known, fixed } = report.baseline
  const lines = [
    `${c.bold('leakproof')}: ${known.length} known ${known.length === 1 ? 'leak' : 'leaks'} in ${file} passed`,
  ]
  if (fixed.length)
    lines.push(
      `  ${c.green(`fixed since the baseline (${fixed.length})`)} — shrink it with \`npx leakproof baseline ${reportFile}\`:`,
      ...fixed.map((id) => `    ${id}`),
    )
  return lines.join('\n')
}

/** What the ignore rules hid in the run, by reason: so that ignoring stays a visible decision. */
export function formatIgnoredSummary(report: LeakReport, color: boolean): string {
  const byReason = new Map<string, Map<string, number>>()
  for (const t of report.tests) {
    for (const i of t.ignored ?? []) {
      const whats = byReason.get(i.reason) ?? new Map<string, number>()
      whats.set(i.what, (whats.get(i.what) ?? 0) + 1)
      byReason.set(i.reason, whats)
    }
  }
  if (byReason.size === 0) return ''
  const c = pc.createColors(color)
  const total = [...byReason.values()].reduce((n, whats) => n + [...whats.values()].reduce((a, b) => a + b, 0), 0)
  const lines = [`${c.bold('leakproof')}: ${total} ${total === 1 ? 'finding' : 'findings'} ignored by your rules`]
  for (const [reason, whats] of byReason)
    lines.push(`  ${c.dim(reason)}: ${[...whats].map(([what, n]) => `${n > 1 ? `${n}× ` : ''}${what}`).join('; ')}`)
  return lines.join('\n')
}

/**
 * What leakproof has to say that is not a failure: warnings (findings of a kind set to 'warn') and
 * notes (a first use told from a leak, a check not confirmed). Printed here, by the reporter, and
 * never through the test's console, where a fail-on-console guard would turn them into failures.
 */
export function formatNotesSummary(report: LeakReport, options: TerminalOptions): string {
  const c = pc.createColors(options.color)
  const entries: string[] = []
  for (const t of report.tests) {
    if (t.verdict === 'skipped') continue
    const warnings = t.findings.filter((f) => f.severity === 'warn')
    if (warnings.length === 0 && t.notes.length === 0) continue
    const lines = [`  ${t.fullName ? `${t.file} > ${t.fullName}` : `${t.file} (after all)`}`]
    if (warnings.length > 0)
      lines.push(
        ...formatFindings(warnings, { root: options.root, color: options.color })
          .split('\n')
          .map((l, i) => (i === 0 ? `    ${c.yellow('warning')}: ${l}` : l ? `    ${l}` : '')),
      )
    for (const note of t.notes) lines.push(`    ${c.dim('note')}: ${note}`)
    entries.push(lines.join('\n'))
  }
  if (entries.length === 0) return ''
  return [
    `${c.bold('leakproof')}: notes on ${entries.length} ${entries.length === 1 ? 'test' : 'tests'} (not failures)`,
    ...entries,
  ].join('\n')
}

/**
 * The workers that died in a file (out of memory, most often), then those whose live heap after GC
 * grew over their files (heap-timeline.ts): where a run that ends `JavaScript heap out of memory`
 * starts to show.
 */
export function formatHeapSummary(report: LeakReport, root: string, color: boolean): string {
  const c = pc.createColors(color)
  const parts: string[] = []
  const died = (report.heap ?? []).filter((w) => w.died)
  if (died.length > 0)
    parts.push(
      [
        `${c.bold('leakproof')}: ${died.length === 1 ? 'a worker' : `${died.length} workers`} died while running a test file (the framework's error may not name it)`,
        ...workerDeathLines(died).flatMap(({ headline, details }) => [
          `  ${c.red(headline)}`,
          ...details.map((d) => `    ${d}`),
        ]),
      ].join('\n'),
    )
  const stayedAlive = new Set(
    report.tests.flatMap((t) =>
      t.findings.flatMap((f) => (f.kind === 'environment' ? f.files.map((file) => relativeFile(file, root)) : [])),
    ),
  )
  const lines = heapGrowthLines(report.heap ?? [], HEAP_GROWTH_NOTICE, stayedAlive)
  if (lines.length > 0)
    parts.push(
      [
        `${c.bold('leakproof')}: ${lines.length === 1 ? 'a worker whose heap grew' : `${lines.length} workers whose heap grew`} over its test files (the JSON report has each file's figures)`,
        ...lines.map((l) => `  ${l}`),
      ].join('\n'),
    )
  return parts.join('\n\n')
}
