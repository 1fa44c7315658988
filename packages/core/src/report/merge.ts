/**
 * Saved reports read back and merged: what `leakproof report` does with the `leakproof-report.json`
 * of a CI run, or with the reports of the shards of one run. Pure (text in, report out): every
 * refusal is a {@link ReportError} naming the file(s), thrown before the caller writes anything.
 */
import { findingOrigins, type Finding } from '../findings.js'
import { REPORT_SCHEMA_VERSION, type LeakReport, type TestReport } from './model.js'

export type ReportErrorCode =
  | 'not-json'
  | 'not-a-report'
  | 'future-schema'
  | 'different-tools'
  | 'different-frameworks'
  | 'different-splits'
  | 'same-shard'
  | 'same-test'

/** A report that cannot be read, or reports that cannot be one run's. The message names the files and ends in the fix. */
export class ReportError extends Error {
  override name = 'ReportError'
  constructor(
    readonly code: ReportErrorCode,
    message: string,
    /** The files the message is about, as the caller named them. */
    readonly files: string[],
  ) {
    super(message)
  }
}

/** One report and the name it was read from (as the user gave it: that is what errors show). */
export interface SavedReport {
  file: string
  report: LeakReport
}

const VERDICTS: ReadonlySet<string> = new Set(['clean', 'leak', 'skipped', 'warn'])

/**
 * A saved report from its text: JSON, made by leakproof, of a schema version this version reads,
 * with the fields the summaries read. (The shipped JSON Schema says all of it; this checks what a
 * reader relies on, so a hand-edited or truncated file is refused by name rather than half printed.)
 */
export function parseReport(text: string, file: string): LeakReport {
  let data: unknown
  try {
    data = JSON.parse(text)
  } catch (error) {
    const why = text.trim() === '' ? 'it is empty' : (error as Error).message
    throw new ReportError(
      'not-json',
      `${file} is not JSON (${why}): was it cut short? Take the report again from the run that wrote it`,
      [file],
    )
  }
  const notReport = (why: string): never => {
    throw new ReportError('not-a-report', `${file} is not a leakproof report: ${why}`, [file])
  }
  if (!isObject(data)) return notReport(`it holds ${describe(data)}, not an object`)
  if (!isObject(data.tool) || data.tool.name !== '@leakproof/core' || typeof data.tool.version !== 'string')
    return notReport('it has no "tool": { "name": "@leakproof/core", "version" }')
  const version = data.schemaVersion
  if (typeof version !== 'number' || !Number.isInteger(version) || version < 1)
    return notReport(`its schemaVersion is ${JSON.stringify(version)}, not a version number`)
  if (version > REPORT_SCHEMA_VERSION) {
    throw new ReportError(
      'future-schema',
      `${file} has schemaVersion ${version}, from a newer leakproof (${data.tool.version}); this one reads version ${REPORT_SCHEMA_VERSION}: update @leakproof/core to read it`,
      [file],
    )
  }
  if (
    !isObject(data.framework) ||
    (data.framework.name !== 'vitest' && data.framework.name !== 'jest') ||
    typeof data.framework.version !== 'string'
  )
    return notReport('its "framework" is not { "name": "vitest" or "jest", "version" }')
  if (typeof data.node !== 'string' || typeof data.createdAt !== 'string')
    return notReport('it has no "node" or "createdAt"')
  if (data.shard !== undefined) {
    const s = data.shard
    if (!isObject(s) || !isCount(s.index) || !isCount(s.count) || s.index > s.count)
      return notReport(`its "shard" is ${JSON.stringify(s)}, not { "index", "count" } with 1 ≤ index ≤ count`)
  }
  if (!Array.isArray(data.tests)) return notReport('it has no "tests" list')
  data.tests.forEach((test: unknown, i) => {
    const why = testProblem(test)
    if (why) notReport(`tests[${i}] ${why}`)
  })
  return data as unknown as LeakReport
}

function testProblem(test: unknown): string | undefined {
  if (!isObject(test)) return `is ${describe(test)}, not an object`
  for (const key of ['id', 'file', 'fullName'] as const) if (typeof test[key] !== 'string') return `has no "${key}"`
  if (typeof test.verdict !== 'string' || !VERDICTS.has(test.verdict))
    return `(${test.id}) has verdict ${JSON.stringify(test.verdict)}, not one of ${[...VERDICTS].join(', ')}`
  if (
    !Array.isArray(test.findings) ||
    !test.findings.every((f: unknown) => isObject(f) && typeof f.kind === 'string' && typeof f.severity === 'string')
  )
    return `(${test.id}) has "findings" that are not a list of findings with a kind and a severity`
  if (!Array.isArray(test.notes)) return `(${test.id}) has no "notes" list`
  return undefined
}

export interface MergeResult {
  /** One run's report: the one given, or the shards' merged (without `shard`: it is the whole run's). */
  report: LeakReport
  /** Shards of the merged run that were not given (1-based), e.g. [2] for shards 1 and 3 of 3. */
  missingShards: number[]
  /** How many shards the run was split into, when the reports were shards. */
  shardCount?: number
}

/**
 * The reports of one run's shards as the report of the whole run: every shard's tests (shards in
 * index order), stamped when the last shard finished. Refuses reports that cannot be shards of one
 * run: of different leakproof versions, of different frameworks or framework versions, of different
 * splits (`1/3` with `2/4`), the same shard twice, or the same test in two reports. One report is
 * returned as it is.
 */
export function mergeReports(inputs: readonly SavedReport[]): MergeResult {
  if (inputs.length === 0) throw new TypeError('mergeReports: no reports')
  if (inputs.length === 1) return { report: inputs[0]!.report, missingShards: [] }

  differing(
    inputs,
    (r) => r.tool.version,
    'different-tools',
    (groups) =>
      `the reports were made by different leakproof versions: ${groups}; make every shard's report with one version`,
  )
  differing(
    inputs,
    (r) => `${r.framework.name} ${r.framework.version}`,
    'different-frameworks',
    (groups) => `the reports are of different frameworks: ${groups}; merge only the shards of one run`,
  )

  const sharded = inputs.filter((i) => i.report.shard)
  differing(
    sharded,
    (r) => `shard ${r.shard!.index} of ${r.shard!.count}`,
    'different-splits',
    (groups) => `the reports are shards of different splits: ${groups}; merge the shards of one run`,
    (r) => String(r.shard!.count),
  )
  const byIndex = new Map<number, string>()
  for (const { file, report } of sharded) {
    const { index, count } = report.shard!
    const other = byIndex.get(index)
    if (other !== undefined)
      throw new ReportError(
        'same-shard',
        `${other} and ${file} are both shard ${index} of ${count}: give each shard's report once`,
        [other, file],
      )
    byIndex.set(index, file)
  }

  const ordered = [...inputs].sort(
    (a, b) => (a.report.shard?.index ?? Number.MAX_SAFE_INTEGER) - (b.report.shard?.index ?? Number.MAX_SAFE_INTEGER),
  )
  const seen = new Map<string, string>()
  const tests: TestReport[] = []
  for (const { file, report } of ordered) {
    const twice = report.tests.filter((t) => seen.has(t.id))
    if (twice.length > 0) {
      const first = seen.get(twice[0]!.id)!
      const more = twice.length > 1 ? ` (and ${twice.length - 1} more)` : ''
      throw new ReportError(
        'same-test',
        `${first} and ${file} both have test "${twice[0]!.id}"${more}: the shards overlap; merge the reports of one sharded run, each once`,
        [first, file],
      )
    }
    for (const t of report.tests) seen.set(t.id, file)
    tests.push(...report.tests)
  }

  const heap = ordered.flatMap((i) => i.report.heap ?? [])
  const first = ordered[0]!.report
  const createdAt = ordered.map((i) => i.report.createdAt).reduce((a, b) => (Date.parse(b) > Date.parse(a) ? b : a))
  const count = sharded[0]?.report.shard!.count
  const missingShards =
    count === undefined ? [] : Array.from({ length: count }, (_, i) => i + 1).filter((i) => !byIndex.has(i))
  return {
    report: {
      schemaVersion: REPORT_SCHEMA_VERSION,
      tool: first.tool,
      framework: first.framework,
      node: first.node,
      createdAt,
      tests,
      ...(heap.length > 0 && { heap }),
    },
    missingShards,
    ...(count !== undefined && { shardCount: count }),
  }
}

/** Throws when `key` differs among the reports, naming one file per value: `a.json (0.1.0), b.json (0.2.0)`. */
function differing(
  inputs: readonly SavedReport[],
  shown: (report: LeakReport) => string,
  code: ReportErrorCode,
  message: (groups: string) => string,
  key = shown,
): void {
  const groups = new Map<string, SavedReport>()
  for (const input of inputs) if (!groups.has(key(input.report))) groups.set(key(input.report), input)
  if (groups.size > 1) {
    const named = [...groups.values()]
    throw new ReportError(
      code,
      message(named.map(({ file, report }) => `${file} (${shown(report)})`).join(', ')),
      named.map((i) => i.file),
    )
  }
}

/**
 * The project root of the run that wrote the report, when its findings tell: a test's file is
 * relative to the root, and the places its findings point at are absolute. A report read on another
 * machine (CI's `/home/runner/work/app/app`) then prints the same relative paths as in CI.
 */
export function reportRoot(report: LeakReport): string | undefined {
  for (const test of report.tests) {
    for (const file of findingFiles(test.findings)) {
      const suffix = `/${test.file}`
      if (file.endsWith(suffix) && file.length > suffix.length) return file.slice(0, -suffix.length)
    }
  }
  return undefined
}

function findingFiles(findings: Finding[]): string[] {
  return findings.flatMap((f) => findingOrigins(f).map((l) => l.file))
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
}

function isCount(value: unknown): value is number {
  return typeof value === 'number' && Number.isInteger(value) && value >= 1
}

function describe(value: unknown): string {
  return Array.isArray(value) ? 'a list' : value === null ? 'null' : `a ${typeof value}`
}
