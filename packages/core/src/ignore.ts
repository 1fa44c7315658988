/**
 * Ignore rules: findings a team has decided to live with — a global a library defines, a handle
 * type, a listener event, or anything made from inside a library it cannot fix (the package, or a
 * frame on the creation or allocation stack). Each rule carries its reason, which the run's
 * summary shows. A rule for a library's finding names the library, never the user's line that
 * called it, so it holds while the user's code moves.
 */
import { LeakproofConfigError } from './errors.js'
import { findingDependency, type Finding, type IgnoredFinding } from './findings.js'
import { ruleObjects } from './option-rules.js'
import { headline } from './format.js'

export interface IgnoreRule {
  /** A global's name, as in `globalThis.name`. */
  global?: string
  /** A handle's type: `Timeout`, `TCPWRAP`, `TCPSERVERWRAP`, `PROCESSWRAP`, … */
  handle?: string
  /** A listener's event name. */
  event?: string
  /** Part of a file path or function name on the stack that made it (a handle, a listener, an allocation site, a global's assignment). */
  frame?: string
  /** A dependency's package name: what its code made (every allocation site of retained memory in it). */
  package?: string
  /** Why: shown in the run's summary next to what it hid. */
  reason: string
}

const MATCHERS = ['global', 'handle', 'event', 'frame', 'package'] as const

export function resolveIgnoreRules(value: unknown): IgnoreRule[] {
  return ruleObjects(value, 'ignore', '{ global | handle | event | frame | package, reason }', [
    ...MATCHERS,
    'reason',
  ]).map(({ name, rule: r }) => {
    const given = MATCHERS.filter((m) => r[m] !== undefined)
    if (given.length !== 1)
      throw new LeakproofConfigError(name, r, `exactly one of ${MATCHERS.join(', ')} (and a reason)`)
    const key = given[0]!
    if (typeof r[key] !== 'string' || r[key] === '')
      throw new LeakproofConfigError(`${name}.${key}`, r[key], 'a non-empty string')
    if (typeof r.reason !== 'string' || r.reason.trim() === '')
      throw new LeakproofConfigError(`${name}.reason`, r.reason, 'a sentence saying why (it is shown in the summary)')
    return { [key]: r[key], reason: r.reason } as IgnoreRule
  })
}

function matches(rule: IgnoreRule, f: Finding): boolean {
  if (rule.global !== undefined) return f.kind === 'global' && f.name === rule.global
  if (rule.handle !== undefined) return f.kind === 'handle' && f.type === rule.handle
  if (rule.event !== undefined) return f.kind === 'listener' && f.event === rule.event
  if (rule.package !== undefined) return findingDependency(f)?.name === rule.package
  const frame = rule.frame!
  if (f.kind === 'handle' || f.kind === 'listener' || f.kind === 'dom') return f.stack.includes(frame)
  // A global by where a re-run assigned it; an environment by the function that holds it.
  if (f.kind === 'global' || f.kind === 'environment') {
    const at = f.kind === 'global' ? f.assignedAt : f.createdAt
    return at !== undefined && (at.file.includes(frame) || at.functionName === frame)
  }
  if (f.kind === 'retained')
    return (
      f.sites.length > 0 &&
      f.sites.every((s) => s.functionName === frame || (s.location?.file.includes(frame) ?? false))
    )
  return false
}

/** The findings no rule ignores, and those ignored with the rule's reason. */
export function applyIgnoreRules(
  findings: Finding[],
  rules: IgnoreRule[],
): { kept: Finding[]; ignored: IgnoredFinding[] } {
  const kept: Finding[] = []
  const ignored: IgnoredFinding[] = []
  for (const f of findings) {
    const rule = rules.find((r) => matches(r, f))
    if (rule) ignored.push({ kind: f.kind, what: headline([f]), reason: rule.reason })
    else kept.push(f)
  }
  return { kept, ignored }
}
