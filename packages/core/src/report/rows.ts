import { leakLocation, locationText, relativeFile } from '../format.js'
import type { Finding, Kind } from '../findings.js'
import { formatBytes } from '../size.js'
import type { LeakReport, TestReport } from './model.js'

/** One leaking test as the summaries show it: the same columns in the terminal and in Markdown. */
export interface LeakRow {
  test: TestReport
  kinds: Kind[]
  /** Bytes retained over the re-runs, or how many things were left. */
  size: string
  perRun: string
  /** Retained bytes per run, for sorting (0 for the other kinds). */
  perRunBytes: number
  /** The one line that says what to look at first. */
  cause: string
}

/** The report's leaking tests (verdict `leak`), biggest retained memory per run first. */
export function leakRows(report: LeakReport, root: string): LeakRow[] {
  return report.tests
    .filter((t) => t.verdict === 'leak')
    .map((test) => rowOf(test, test.findings.filter((f) => f.severity === 'error'), root))
    .sort((a, b) => b.perRunBytes - a.perRunBytes || a.test.id.localeCompare(b.test.id))
}

function rowOf(test: TestReport, findings: Finding[], root: string): LeakRow {
  const kinds = [...new Set(findings.map((f) => f.kind))]
  const retained = findings.find((f) => f.kind === 'retained')
  const count = (kind: Kind): number => findings.filter((f) => f.kind === kind).reduce((n, f) => n + (f.kind === 'listener' ? f.count : 1), 0)
  const size = retained?.kind === 'retained'
    ? formatBytes(retained.bytes)
    : kinds.map((k) => `${count(k)} ${k === 'watched' ? 'watched' : k === 'global' ? (count(k) === 1 ? 'global' : 'globals') : count(k) === 1 ? k : `${k}s`}`).join(', ')
  return {
    test,
    kinds,
    size,
    perRun: retained?.kind === 'retained' ? `+${formatBytes(retained.perRun)}` : '',
    perRunBytes: retained?.kind === 'retained' ? retained.perRun : 0,
    cause: causeOf(findings, root),
  }
}

/** What holds or made the first finding: the retainer path's holder, else the line that made it. */
function causeOf(findings: Finding[], root: string): string {
  const first = findings[0]
  if (!first) return ''
  const where = leakLocation([first])
  const at = where ? ` at ${locationText(where, root)}` : ''
  switch (first.kind) {
    case 'retained': {
      const path = first.retainedBy && 'paths' in first.retainedBy ? first.retainedBy.paths[0]?.steps : undefined
      if (path && path.length > 1) return path.slice(0, -1).map((s) => (s.edge ? `${s.edge} ${s.node}` : s.node === 'module' && s.file ? `module ${relativeFile(s.file, root)}` : s.node)).join(' → ')
      const site = first.sites[0]
      return site ? `${site.functionName}${site.location ? ` at ${locationText(site.location, root)}` : ''}` : ''
    }
    case 'handle':
      return `${first.description}${at}`
    case 'listener':
      return `${first.target} "${first.event}"${at}`
    case 'global':
      return `globalThis.${first.name}`
    case 'watched':
      return `"${first.label}"${at}`
  }
}
