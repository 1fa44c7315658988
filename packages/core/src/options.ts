import { LeakproofConfigError } from './errors.js'
import { KINDS, type Kind, type Severity } from './findings.js'
import { resolveIgnoreRules, type IgnoreRule } from './ignore.js'
import { ruleObjects } from './option-rules.js'
import { parseSize } from './size.js'
import { DEFAULT_BASELINE_FILE, DEFAULT_TOLERANCE } from './report/baseline.js'

/** A size: bytes as a number, or a string such as `512 KB` or `2 MB`. */
export type Size = number | string

export interface BudgetRule {
  /** File globs relative to the project root: `src/cache/**`, `**\/*.perf.test.ts`. */
  files?: string | string[]
  /** Matched against the test's full name (describe blocks and test, joined by ` > `). A string matches as a substring. */
  tests?: string | RegExp
  budget: Size
}

/** The options schema, shared by every adapter. */
export interface LeakproofOptions {
  /** Memory a test may keep per run before it counts as a leak. Default `0` (plus a noise floor, see README). */
  budget?: Size
  /** Budgets for files and test names; see "Budgets" in the README for which setting wins. */
  budgets?: BudgetRule[]
  /** Which kinds fail a test (`error`), are printed (`warn`) or are not checked (`off`). All `error` by default. */
  kinds?: Partial<Record<Kind, Severity>>
  /** How many times a test suspected of retaining memory is re-run to confirm it grows every time. Default 3. */
  repetitions?: number
  /** How many allocation sites a retained-memory report lists. Default 5. */
  allocationSites?: number
  /** Check each file as a whole after its afterAll hooks (handles, listeners, globals). Default true. */
  checkFiles?: boolean
  /**
   * Explain confirmed retained and watched leaks from heap snapshots: what holds them ("retained
   * by"). Costs seconds per confirmed leak, never anything for a clean test. Default true.
   */
  explain?: boolean
  /**
   * Keep the `.heapsnapshot` files an explanation was made from (for Chrome DevTools or memlab):
   * `true` for `.leakproof/snapshots` under the project root, or a folder (relative to the root).
   * Default false: they are deleted once read.
   */
  keepSnapshots?: boolean | string
  /** Where the run's JSON report is written (relative to the project root), or false. Default `leakproof-report.json`. */
  reportFile?: string | false
  /** The baseline of known leaks (relative to the project root), read when it exists, or false. Default `leakproof.baseline.json`. */
  baseline?: string | false
  /** How much a known leak may grow (per-run bytes, or things left) before it fails: 0.25 is 25 %. Default 0.25. */
  baselineTolerance?: number
  /** Findings to live with, each with its reason: `{ global | handle | event | frame | package, reason }`. */
  ignore?: IgnoreRule[]
}

/** Options after validation: plain JSON, so an adapter can hand them to its test workers. */
export interface ResolvedOptions {
  budget: number
  budgets: Array<{ files?: string[]; tests?: { source: string; flags: string }; budget: number }>
  kinds: Record<Kind, Severity>
  repetitions: number
  allocationSites: number
  checkFiles: boolean
  explain: boolean
  /** Folder for kept snapshots, relative to the project root, or false. */
  keepSnapshots: string | false
  reportFile: string | false
  baseline: string | false
  baselineTolerance: number
  ignore: IgnoreRule[]
}

const KEYS: Array<keyof LeakproofOptions> = [
  'budget',
  'budgets',
  'kinds',
  'repetitions',
  'allocationSites',
  'checkFiles',
  'explain',
  'keepSnapshots',
  'reportFile',
  'baseline',
  'baselineTolerance',
  'ignore',
]

/** Where kept snapshots go by default, beside the other report files. */
export const DEFAULT_SNAPSHOT_DIR = '.leakproof/snapshots'
const SEVERITIES: Severity[] = ['error', 'warn', 'off']

/**
 * Validates user options. Every problem is a LeakproofConfigError naming the option and the value;
 * `path` is where the options sit in the host's config (`testEnvironmentOptions.leakproof`).
 */
export function resolveOptions(input: unknown = {}, path?: string): ResolvedOptions {
  try {
    return resolveAll(input)
  } catch (error) {
    throw path && error instanceof LeakproofConfigError ? error.under(path) : error
  }
}

function resolveAll(input: unknown): ResolvedOptions {
  if (input === null || typeof input !== 'object' || Array.isArray(input)) {
    throw new LeakproofConfigError('options', input, 'an object such as { budget: "1 MB" }')
  }
  const options = input as Record<string, unknown>
  for (const key of Object.keys(options)) {
    if (!(KEYS as string[]).includes(key)) {
      throw new LeakproofConfigError(
        key,
        options[key],
        `one of the known options (${KEYS.join(', ')}); "${key}" is not one`,
      )
    }
  }
  return {
    budget: options.budget === undefined ? 0 : parseSize(options.budget, 'budget'),
    budgets: resolveBudgetRules(options.budgets),
    kinds: resolveKinds(options.kinds),
    repetitions: integerIn(options.repetitions, 'repetitions', 3, 2, 20),
    allocationSites: integerIn(options.allocationSites, 'allocationSites', 5, 0, 50),
    checkFiles: booleanOr(options.checkFiles, 'checkFiles', true),
    explain: booleanOr(options.explain, 'explain', true),
    keepSnapshots: snapshotDir(options.keepSnapshots),
    reportFile: reportFileOf(options.reportFile),
    baseline: fileOrFalse(options.baseline, 'baseline', DEFAULT_BASELINE_FILE),
    baselineTolerance: numberIn(options.baselineTolerance, 'baselineTolerance', DEFAULT_TOLERANCE, 0, 10),
    ignore: resolveIgnoreRules(options.ignore),
  }
}

function resolveBudgetRules(value: unknown): ResolvedOptions['budgets'] {
  return ruleObjects(value, 'budgets', '{ files?, tests?, budget }', ['files', 'tests', 'budget']).map(
    ({ name, rule: r }) => {
      if (r.files === undefined && r.tests === undefined)
        throw new LeakproofConfigError(name, r, 'a rule with "files", "tests" or both')
      const files = r.files === undefined ? undefined : typeof r.files === 'string' ? [r.files] : r.files
      if (files !== undefined && (!Array.isArray(files) || files.some((f) => typeof f !== 'string' || f === ''))) {
        throw new LeakproofConfigError(`${name}.files`, r.files, 'a glob string or an array of glob strings')
      }
      let tests: { source: string; flags: string } | undefined
      if (r.tests instanceof RegExp) tests = { source: r.tests.source, flags: r.tests.flags }
      else if (typeof r.tests === 'string' && r.tests !== '')
        tests = { source: r.tests.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'), flags: '' }
      else if (r.tests !== undefined) {
        // What a RegExp becomes after a trip through JSON, as Jest sends options to its workers.
        const serialised = r.tests !== null && typeof r.tests === 'object' && Object.keys(r.tests).length === 0
        throw new LeakproofConfigError(
          `${name}.tests`,
          r.tests,
          `a RegExp or a non-empty string${serialised ? ' (a RegExp sent to Jest workers as JSON arrives as {}: use a string, matched as part of the test name)' : ''}`,
        )
      }
      if (r.budget === undefined) throw new LeakproofConfigError(`${name}.budget`, undefined, 'a size such as "2 MB"')
      return { files: files as string[] | undefined, tests, budget: parseSize(r.budget, `${name}.budget`) }
    },
  )
}

function resolveKinds(value: unknown): Record<Kind, Severity> {
  const kinds = Object.fromEntries(KINDS.map((k) => [k, 'error'])) as Record<Kind, Severity>
  if (value === undefined) return kinds
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    throw new LeakproofConfigError(
      'kinds',
      value,
      `an object such as { listener: 'warn' } with keys ${KINDS.join(', ')}`,
    )
  }
  for (const [kind, severity] of Object.entries(value)) {
    if (!(KINDS as string[]).includes(kind))
      throw new LeakproofConfigError(
        `kinds.${kind}`,
        severity,
        `a known kind (${KINDS.join(', ')}); "${kind}" is not one`,
      )
    if (!(SEVERITIES as unknown[]).includes(severity))
      throw new LeakproofConfigError(`kinds.${kind}`, severity, `one of ${SEVERITIES.map((s) => `"${s}"`).join(', ')}`)
    kinds[kind as Kind] = severity as Severity
  }
  return kinds
}

function integerIn(value: unknown, name: string, fallback: number, min: number, max: number): number {
  if (value === undefined) return fallback
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
    throw new LeakproofConfigError(name, value, `a whole number from ${min} to ${max}`)
  }
  return value
}

function booleanOr(value: unknown, name: string, fallback: boolean): boolean {
  if (value === undefined) return fallback
  if (typeof value !== 'boolean') throw new LeakproofConfigError(name, value, 'true or false')
  return value
}

function snapshotDir(value: unknown): string | false {
  if (value === undefined || value === false) return false
  if (value === true) return DEFAULT_SNAPSHOT_DIR
  if (typeof value === 'string' && value.trim() !== '') return value
  throw new LeakproofConfigError('keepSnapshots', value, `true (for ${DEFAULT_SNAPSHOT_DIR}), false, or a folder name`)
}

export const DEFAULT_REPORT_FILE = 'leakproof-report.json'

function reportFileOf(value: unknown): string | false {
  return fileOrFalse(value, 'reportFile', DEFAULT_REPORT_FILE)
}

function fileOrFalse(value: unknown, name: string, fallback: string): string | false {
  if (value === undefined) return fallback
  if (value === false) return false
  if (typeof value === 'string' && value.trim() !== '') return value
  throw new LeakproofConfigError(name, value, 'a file name (relative to the project root) or false')
}

function numberIn(value: unknown, name: string, fallback: number, min: number, max: number): number {
  if (value === undefined) return fallback
  if (typeof value !== 'number' || !Number.isFinite(value) || value < min || value > max)
    throw new LeakproofConfigError(name, value, `a number from ${min} to ${max}`)
  return value
}

/** The options of a reporter that only publishes (Jest's): `reportFile` and `baseline`. */
export function resolveReportOptions(
  input: unknown = {},
  path?: string,
): Pick<ResolvedOptions, 'reportFile' | 'baseline'> {
  try {
    if (input === null || typeof input !== 'object' || Array.isArray(input))
      throw new LeakproofConfigError('options', input, 'an object such as { reportFile: "leakproof-report.json" }')
    for (const [key, value] of Object.entries(input)) {
      if (key !== 'reportFile' && key !== 'baseline')
        throw new LeakproofConfigError(
          key,
          value,
          `reportFile or baseline, the options of the reporter (the others go in testEnvironmentOptions.leakproof); "${key}" is not one`,
        )
    }
    const options = input as { reportFile?: unknown; baseline?: unknown }
    return {
      reportFile: reportFileOf(options.reportFile),
      baseline: fileOrFalse(options.baseline, 'baseline', DEFAULT_BASELINE_FILE),
    }
  } catch (error) {
    throw path && error instanceof LeakproofConfigError ? error.under(path) : error
  }
}
