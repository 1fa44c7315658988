import { globToRegExp } from './glob.js'
import type { ResolvedOptions } from './options.js'

export interface BudgetContext {
  /** The test file, relative to the project root, with `/` separators. */
  file: string
  /** Describe blocks and test name joined by ` > `. */
  fullName: string
  /** From the host's per-test options (Vitest `meta`/tags, a Jest docblock), already parsed. */
  fromTestOptions?: number
  /** From `leaks.budget()` inside the test. */
  fromCall?: number
}

export interface ResolvedBudget {
  bytes: number
  /** Which setting decided, for the failure message. */
  source: string
}

const compiled = new WeakMap<object, RegExp>()

function regExpOf(key: object, make: () => RegExp): RegExp {
  let re = compiled.get(key)
  if (!re) compiled.set(key, (re = make()))
  return re
}

/**
 * The most specific setting wins: `leaks.budget()` in the test, then the test's own options (a
 * test's `meta` over its describe block's, as the host merges them), then a `budgets` rule naming
 * the test, then a rule naming only files, then the global `budget`. Among rules of one level the
 * last one that matches wins, as in later config overriding earlier.
 */
export function resolveBudget(options: ResolvedOptions, ctx: BudgetContext): ResolvedBudget {
  if (ctx.fromCall !== undefined) return { bytes: ctx.fromCall, source: 'leaks.budget()' }
  if (ctx.fromTestOptions !== undefined) return { bytes: ctx.fromTestOptions, source: 'test options' }
  let byTest: ResolvedBudget | undefined
  let byFile: ResolvedBudget | undefined
  options.budgets.forEach((rule, i) => {
    const files = rule.files
    if (files && !regExpOf(files, () => new RegExp(files.map((g) => globToRegExp(g).source).join('|'))).test(ctx.file)) return
    if (rule.tests) {
      const re = regExpOf(rule.tests, () => new RegExp(rule.tests!.source, rule.tests!.flags.replace(/[gy]/g, '')))
      if (re.test(ctx.fullName)) byTest = { bytes: rule.budget, source: `budgets[${i}]` }
    } else byFile = { bytes: rule.budget, source: `budgets[${i}]` }
  })
  return byTest ?? byFile ?? { bytes: options.budget, source: 'budget' }
}
