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

function filesRegExp(files: string[]): RegExp {
  return regExpOf(files, () => new RegExp(files.map((g) => globToRegExp(g).source).join('|')))
}

/**
 * Warnings for `budgets` rules whose file globs match none of `files` (test files relative to the
 * project root): a typo or a moved folder would otherwise leave a budget that applies to nothing.
 */
export function unmatchedBudgetFiles(options: ResolvedOptions, files: string[], which: string): string[] {
  return options.budgets.flatMap((rule, i) =>
    rule.files && !files.some((f) => filesRegExp(rule.files!).test(f))
      ? [
          `leakproof: option "budgets[${i}].files" is ${JSON.stringify(rule.files.length === 1 ? rule.files[0] : rule.files)}, which matches none of ${which} (${files.length}); its budget applies to nothing.`,
        ]
      : [],
  )
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
    if (files && !filesRegExp(files).test(ctx.file)) return
    if (rule.tests) {
      const re = regExpOf(rule.tests, () => new RegExp(rule.tests!.source, rule.tests!.flags.replace(/[gy]/g, '')))
      if (re.test(ctx.fullName)) byTest = { bytes: rule.budget, source: `budgets[${i}]` }
    } else byFile = { bytes: rule.budget, source: `budgets[${i}]` }
  })
  return byTest ?? byFile ?? { bytes: options.budget, source: 'budget' }
}
