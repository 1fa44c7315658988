import { leakLocation, locationText, packageText, relativeFile } from '../format.js'
import { findingCount, findingDependency, type Finding, type Kind } from '../findings.js'
import type { FoldedStep } from '../snapshot/fold.js'
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
    .map((test) =>
      rowOf(
        test,
        test.findings.filter((f) => f.severity === 'error'),
        root,
      ),
    )
    .sort((a, b) => b.perRunBytes - a.perRunBytes || a.test.id.localeCompare(b.test.id))
}

function rowOf(test: TestReport, findings: Finding[], root: string): LeakRow {
  const kinds = [...new Set(findings.map((f) => f.kind))]
  const retained = findings.find((f) => f.kind === 'retained')
  const count = (kind: Kind): number => findings.filter((f) => f.kind === kind).reduce((n, f) => n + findingCount(f), 0)
  const environment = findings.find((f) => f.kind === 'environment')
  const size =
    retained?.kind === 'retained'
      ? formatBytes(retained.bytes)
      : environment?.kind === 'environment' && environment.retainedSize !== undefined
        ? `${count('environment')} ${count('environment') === 1 ? 'file' : 'files'}, ${formatBytes(environment.retainedSize)}`
        : kinds.map((k) => countText(count(k), k)).join(', ')
  return {
    test,
    kinds,
    size,
    perRun: retained?.kind === 'retained' ? `+${formatBytes(retained.perRun)}` : '',
    perRunBytes: retained?.kind === 'retained' ? retained.perRun : 0,
    cause: causeOf(findings, root),
  }
}

const COUNTED: Record<Exclude<Kind, 'retained'>, [string, string]> = {
  handle: ['handle', 'handles'],
  listener: ['listener', 'listeners'],
  global: ['global', 'globals'],
  watched: ['watched', 'watched'],
  dom: ['DOM tree', 'DOM trees'],
  environment: ['file environment', 'file environments'],
}

function countText(n: number, kind: Kind): string {
  if (kind === 'retained') return ''
  const [one, many] = COUNTED[kind]
  return `${n} ${n === 1 ? one : many}`
}

/** What holds or made the first finding: the retainer path's holder, else the line that made it. */
function causeOf(findings: Finding[], root: string): string {
  const first = findings[0]
  if (!first) return ''
  const where = leakLocation([first])
  const dependency = findingDependency(first)
  const at = `${where ? ` at ${locationText(where, root)}` : ''}${dependency ? ` inside ${packageText(dependency)}` : ''}`
  switch (first.kind) {
    case 'retained': {
      const path = first.retainedBy && 'paths' in first.retainedBy ? first.retainedBy.paths[0]?.steps : undefined
      if (path && path.length > 1) return holderText(path, root)
      const site = first.sites[0]
      return site
        ? `${site.functionName}${site.dependency ? at : site.location ? ` at ${locationText(site.location, root)}` : ''}`
        : ''
    }
    case 'handle':
      return `${first.description}${at}`
    case 'listener':
      return `${first.target} "${first.event}"${at}`
    case 'global':
      return `globalThis.${first.name}${at}`
    case 'watched':
      return `"${first.label}"${at}`
    case 'dom': {
      const path = first.retainedBy && 'paths' in first.retainedBy ? first.retainedBy.paths[0]?.steps : undefined
      return path && path.length > 1 ? holderText(path, root) : `${first.root}${at}`
    }
    case 'environment': {
      // A holder in a dependency outside the project (a monorepo's hoisted node_modules) is no
      // location of the user's, but the snapshot did say where it is.
      const holder = at || (first.createdAt ? ` at ${locationText(first.createdAt, root)}` : '')
      return `held by the function written${holder || ' where the snapshot could not say'}`
    }
  }
}

/** A retainer path without its last step (the leaked object itself): what holds it. */
function holderText(path: FoldedStep[], root: string): string {
  return path
    .slice(0, -1)
    .map((s) =>
      s.edge ? `${s.edge} ${s.node}` : s.node === 'module' && s.file ? `module ${relativeFile(s.file, root)}` : s.node,
    )
    .join(' → ')
}
