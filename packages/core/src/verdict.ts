/**
 * A verdict from a window's findings: the `ignore` rules hide what they match, the state follows
 * from what is left, and the baseline turns a known leak that did not grow into `known`.
 */
import type { Finding, Verdict } from './findings.js'
import { applyIgnoreRules } from './ignore.js'
import type { ResolvedOptions } from './options.js'
import { againstBaseline, type BaselineEntry } from './report/baseline.js'
import { stateOf } from './rules.js'

export function verdictOf(
  found: Finding[],
  notes: string[],
  options: Pick<ResolvedOptions, 'ignore' | 'baselineTolerance'>,
  known: BaselineEntry | undefined,
): Verdict {
  const { kept: findings, ignored } = applyIgnoreRules(found, options.ignore)
  const verdict: Verdict = { state: stateOf(findings), findings, notes, ...(ignored.length > 0 && { ignored }) }
  return againstBaseline(verdict, known, options.baselineTolerance)
}
