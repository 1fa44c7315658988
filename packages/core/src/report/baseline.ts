/**
 * The baseline: the leaks a suite had when leakproof was turned on, committed as
 * `leakproof.baseline.json`. A known leak passes (reported as known); a new leak, a new kind of
 * leak in a known test, or a known one grown past the tolerance fails; a known one that is gone
 * is reported as fixed, so the file can shrink. This is how a big suite adopts leakproof without
 * fixing everything first.
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs'
import { resolve } from 'node:path'
import { LeakproofConfigError } from '../errors.js'
import { findingCount, KINDS, type Finding, type Kind, type Verdict } from '../findings.js'
import { formatBytes } from '../size.js'
import { toolVersion } from '../version.js'
import type { LeakReport } from './model.js'

export const BASELINE_SCHEMA_VERSION = 1
export const DEFAULT_BASELINE_FILE = 'leakproof.baseline.json'

export interface BaselineEntry {
  /** The test's id in reports: `file > describe > test`, or the file for its after-all check. */
  id: string
  kinds: Kind[]
  /** Retained bytes per run when recorded. */
  perRun?: number
  /** Handles, listeners, globals and watched objects left, when recorded. */
  count?: number
}

export interface Baseline {
  schemaVersion: typeof BASELINE_SCHEMA_VERSION
  tool: { name: string; version: string }
  createdAt: string
  leaks: BaselineEntry[]
}

/** What a known leak may grow by before it counts as new: 0.25 is 25 % more per run (or more things left). */
export const DEFAULT_TOLERANCE = 0.25

/** A baseline's entries by test id, for the run's options; none when the file does not exist. */
export function loadBaseline(root: string, file: string | false): Map<string, BaselineEntry> {
  if (!file) return new Map()
  const path = resolve(root, file)
  if (!existsSync(path)) return new Map()
  let data: unknown
  try {
    data = JSON.parse(readFileSync(path, 'utf8'))
  } catch (error) {
    throw new LeakproofConfigError(
      'baseline',
      path,
      `a readable JSON file written by \`leakproof baseline\` (${(error as Error).message}); write it again with \`npx leakproof baseline leakproof-report.json\``,
    )
  }
  const baseline = data as Partial<Baseline>
  if (typeof baseline !== 'object' || baseline === null || !Array.isArray(baseline.leaks)) {
    throw new LeakproofConfigError('baseline', path, 'a leakproof baseline: an object with "schemaVersion" and "leaks"')
  }
  if (baseline.schemaVersion !== BASELINE_SCHEMA_VERSION) {
    throw new LeakproofConfigError(
      'baseline',
      path,
      `a baseline of schema version ${BASELINE_SCHEMA_VERSION}; it says ${JSON.stringify(baseline.schemaVersion)} (written by leakproof ${baseline.tool?.version ?? 'unknown'}: update leakproof, or write the baseline again)`,
    )
  }
  const entries = new Map<string, BaselineEntry>()
  baseline.leaks.forEach((entry, i) => {
    const e = entry as Partial<BaselineEntry>
    const valid =
      typeof e?.id === 'string' &&
      Array.isArray(e.kinds) &&
      e.kinds.every((k) => (KINDS as string[]).includes(k)) &&
      (e.perRun === undefined || typeof e.perRun === 'number') &&
      (e.count === undefined || typeof e.count === 'number')
    if (!valid)
      throw new LeakproofConfigError(
        'baseline',
        path,
        `leaks[${i}] to be { id, kinds, perRun?, count? } with known kinds; it is ${JSON.stringify(entry)}`,
      )
    entries.set(e.id!, e as BaselineEntry)
  })
  return entries
}

/** The measures a baseline keeps of one test's leak. */
function measure(findings: Finding[]): Omit<BaselineEntry, 'id'> {
  const errors = findings.filter((f) => f.severity === 'error')
  const kinds = [...new Set(errors.map((f) => f.kind))].sort()
  const retained = errors.find((f) => f.kind === 'retained')
  const count = errors.filter((f) => f.kind !== 'retained').reduce((n, f) => n + findingCount(f), 0)
  return { kinds, ...(retained?.kind === 'retained' && { perRun: retained.perRun }), ...(count > 0 && { count }) }
}

/**
 * A leaking verdict judged against the baseline: `known` (passes) when the test is in the baseline
 * with the same kinds and has not grown past the tolerance; a `leak` with a note saying how it grew
 * otherwise. Other verdicts pass through.
 */
export function againstBaseline(verdict: Verdict, entry: BaselineEntry | undefined, tolerance: number): Verdict {
  if (verdict.state !== 'leak' || !entry) return verdict
  const now = measure(verdict.findings)
  const newKinds = now.kinds.filter((k) => !entry.kinds.includes(k))
  const grown: string[] = []
  if (now.perRun !== undefined && entry.perRun !== undefined && now.perRun > entry.perRun * (1 + tolerance))
    grown.push(`+${formatBytes(now.perRun)} per run, was +${formatBytes(entry.perRun)}`)
  if (now.count !== undefined && now.count > (entry.count ?? 0) * (1 + tolerance))
    grown.push(`${now.count} left, was ${entry.count ?? 0}`)
  if (newKinds.length === 0 && grown.length === 0)
    return {
      ...verdict,
      state: 'known',
      notes: [...verdict.notes, 'a known leak, in the baseline: it passes until it grows or is fixed'],
    }
  const why = [
    ...(newKinds.length ? [`new ${newKinds.length === 1 ? 'kind' : 'kinds'}: ${newKinds.join(', ')}`] : []),
    ...grown,
  ]
  return {
    ...verdict,
    notes: [
      ...verdict.notes,
      `in the baseline, but grew past it (${why.join('; ')}; tolerance ${Math.round(tolerance * 100)} %)`,
    ],
  }
}

/** The baseline of a run: every test that leaked or was a known leak, with its measures now. */
export function baselineOf(report: LeakReport): Baseline {
  const leaks = report.tests
    .filter((t) => t.verdict === 'leak' || t.verdict === 'known')
    .map((t) => ({ id: t.id, ...measure(t.findings) }))
    .sort((a, b) => a.id.localeCompare(b.id))
  return {
    schemaVersion: BASELINE_SCHEMA_VERSION,
    tool: { name: '@leakproof/core', version: toolVersion() },
    createdAt: new Date().toISOString(),
    leaks,
  }
}

export function writeBaseline(path: string, baseline: Baseline): void {
  writeFileSync(path, `${JSON.stringify(baseline, null, 2)}\n`)
}

/** Baseline entries of tests this run judged and found clean: fixed, to be dropped from the file. */
export function fixedSinceBaseline(report: LeakReport, baseline: Map<string, BaselineEntry>): string[] {
  const judged = new Map(report.tests.map((t) => [t.id, t.verdict]))
  const fixed = [...baseline.keys()].filter((id) => judged.get(id) === 'clean' || judged.get(id) === 'warn')
  // A file's after-all check is only in the report when it found something: a file that ran and is
  // absent is clean too.
  const filesRun = new Set(report.tests.map((t) => t.file))
  return [
    ...fixed,
    ...[...baseline.keys()].filter((id) => !id.includes(' > ') && filesRun.has(id) && !judged.has(id)),
  ].sort()
}

/** The report's baseline part: known leaks that passed and those fixed since; undefined without a baseline. */
export function baselineResult(
  report: LeakReport,
  baseline: Map<string, BaselineEntry>,
  file: string,
): LeakReport['baseline'] {
  if (baseline.size === 0) return undefined
  return {
    file,
    known: report.tests.filter((t) => t.verdict === 'known').map((t) => t.id),
    fixed: fixedSinceBaseline(report, baseline),
  }
}
