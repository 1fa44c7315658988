/**
 * GitHub Actions output: workflow-command annotations and the Markdown step summary.
 *
 * Written here rather than with `@actions/core`: what is needed is the escaping of two workflow
 * command fields and appending to a file, and `@actions/core` 3.0 installs 2.2 MB (it brings
 * `@actions/http-client` and `undici`) into every user's install, against 1.4 MB for all of
 * leakproof. The escaping follows `@actions/core`'s `command.ts` exactly.
 */
import { appendFileSync } from 'node:fs'
import { headline, leakLocation, relativeFile } from '../format.js'
import { workerDeathLines, type WorkerHeap } from '../heap-timeline.js'
import type { LeakReport } from './model.js'
import { leakRows } from './rows.js'

/** A command's message: `%`, CR and LF. */
export function escapeData(text: string): string {
  return text.replace(/%/g, '%25').replace(/\r/g, '%0D').replace(/\n/g, '%0A')
}

/** A command's property (file, title): also `:` and `,`, which separate properties. */
export function escapeProperty(text: string): string {
  return escapeData(text).replace(/:/g, '%3A').replace(/,/g, '%2C')
}

function command(name: string, properties: Record<string, string | number | undefined>, message: string): string {
  const props = Object.entries(properties)
    .filter(([, v]) => v !== undefined && v !== '')
    .map(([k, v]) => `${k}=${escapeProperty(String(v))}`)
    .join(',')
  return `::${name}${props ? ` ${props}` : ''}::${escapeData(message)}`
}

export interface AnnotationOptions {
  root: string
  /**
   * The framework's own GitHub reporter is on and annotates a LeakError at its stack's frame (Jest's
   * `github-actions`: the leak's line, else the test's), so only the leak's own line is added here.
   */
  frameworkAnnotatesTests: boolean
}

/**
 * One `::error` per leaking test at the test's line, and one at the line that made the leak when
 * that line is in the repository (a handle's creation, a listener's addition, an allocation site;
 * for what a dependency made, the user's call into it): every leaking test is annotated in the
 * repository at least once.
 */
export function githubAnnotations(report: LeakReport, options: AnnotationOptions): string[] {
  const lines: string[] = []
  for (const test of report.tests.filter((t) => t.verdict === 'leak')) {
    const errors = test.findings.filter((f) => f.severity === 'error')
    const title = `leakproof: ${test.fullName || `${test.file} (after all its tests)`}`
    const message = headline(errors)
    if (!options.frameworkAnnotatesTests)
      lines.push(command('error', { file: test.file, line: test.line, title }, message))
    const at = leakLocation(errors)
    const file = at && relativeFile(at.file, options.root)
    if (
      at &&
      file &&
      !file.startsWith('/') &&
      !file.startsWith('..') &&
      !(file === test.file && at.line === test.line)
    ) {
      lines.push(command('error', { file, line: at.line, col: at.column, title: `${title} (left here)` }, message))
    }
  }
  return lines
}

/** Markdown for `$GITHUB_STEP_SUMMARY`: a table of the leaking tests and a chart of the biggest. */
export function markdownSummary(report: LeakReport, root: string): string {
  const rows = leakRows(report, root)
  const judged = report.tests.filter((t) => t.fullName !== '').length
  const baseline = report.baseline
    ? `\n${report.baseline.known.length} known leaks (${report.baseline.file}) passed; ${report.baseline.fixed.length} fixed since the baseline${report.baseline.fixed.length ? `: ${report.baseline.fixed.map((id) => `\`${id}\``).join(', ')}` : ''}.\n`
    : ''
  if (rows.length === 0)
    return `### leakproof: no new leaks\n\n${judged} tests checked (${report.framework.name} ${report.framework.version}).\n${baseline}${heapSection(report.heap ?? [])}`
  const cell = (text: string): string => text.replace(/\|/g, '\\|').replace(/\n/g, ' ')
  const table = [
    '| test | kind | left | per run | cause |',
    '| --- | --- | ---: | ---: | --- |',
    ...rows.map(
      (r) =>
        `| ${cell(r.test.fullName ? `${r.test.file} > ${r.test.fullName}` : `${r.test.file} (after all)`)} | ${r.kinds.join(', ')} | ${cell(r.size)} | ${r.perRun} | ${cell(r.cause)} |`,
    ),
  ]
  return [
    `### leakproof: ${rows.length} leaking ${rows.length === 1 ? 'test' : 'tests'} of ${judged} checked`,
    '',
    ...table,
    '',
    chart(rows),
    baseline,
    heapSection(report.heap ?? []),
  ].join('\n')
}

/** The workers that died in a file, then the chart of the live heap. */
function heapSection(workers: readonly WorkerHeap[]): string {
  const deaths = workerDeathLines(workers).flatMap(({ headline, details }) => [
    `- **${headline}**`,
    ...details.map((d) => `  - ${d}`),
  ])
  const died = deaths.length === 0 ? '' : `\n${deaths.join('\n')}\n`
  return `${died}${heapChart(workers)}`
}

/** The live heap after GC at each file's end, one line per worker (at most 4), when it was measured. */
function heapChart(workers: readonly WorkerHeap[]): string {
  const shown = workers.filter((w) => w.files.filter((f) => f.liveAfterGc !== undefined).length >= 2).slice(0, 4)
  if (shown.length === 0) return ''
  const files = Math.max(...shown.map((w) => w.files.length))
  const mb = (bytes: number | undefined): number => Math.round((bytes ?? 0) / (1024 * 1024))
  // A file with no full GC while it ran carries the worker's last figure forward.
  const series = shown.map((w) => {
    let last = w.files.find((f) => f.liveAfterGc !== undefined)!.liveAfterGc
    return w.files.map((f) => mb((last = f.liveAfterGc ?? last)))
  })
  return [
    '',
    '```mermaid',
    'xychart-beta',
    `  title "Live heap after GC at each test file's end (MB), ${shown.length === 1 ? `worker ${shown[0]!.worker}` : `workers ${shown.map((w) => w.worker).join(', ')}`}"`,
    `  x-axis "test files, in the order each worker ran them" 1 --> ${files}`,
    '  y-axis "MB"',
    ...series.map((s) => `  line [${s.join(', ')}]`),
    '```',
  ].join('\n')
}

/** Bytes retained per run by the top leaking tests, or leaks by kind when none retained memory. */
function chart(rows: ReturnType<typeof leakRows>): string {
  const retained = rows.filter((r) => r.perRunBytes > 0).slice(0, 8)
  const label = (text: string): string => JSON.stringify(text.length > 24 ? `${text.slice(0, 23)}…` : text)
  if (retained.length > 0) {
    return [
      '```mermaid',
      'xychart-beta',
      '  title "Memory kept per run (KB), biggest leaks"',
      `  x-axis [${retained.map((r) => label(r.test.fullName || r.test.file)).join(', ')}]`,
      '  y-axis "KB per run"',
      `  bar [${retained.map((r) => Math.round(r.perRunBytes / 1024)).join(', ')}]`,
      '```',
    ].join('\n')
  }
  const byKind = new Map<string, number>()
  for (const r of rows) for (const k of r.kinds) byKind.set(k, (byKind.get(k) ?? 0) + 1)
  return [
    '```mermaid',
    'pie title Leaking tests by kind',
    ...[...byKind].map(([k, n]) => `  "${k}" : ${n}`),
    '```',
  ].join('\n')
}

export function appendStepSummary(path: string, markdown: string): void {
  appendFileSync(path, markdown.endsWith('\n') ? markdown : `${markdown}\n`)
}
