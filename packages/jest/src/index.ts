/**
 * What a Jest test file imports. Jest loads this module again inside every test file's own module
 * registry, apart from the environment's engine; so `leaks` here only forwards to the engine the
 * environment put on the test file's global object, and importing it loads nothing else.
 */
import type { leaks as engineLeaks } from '@leakproof/core'
import type { EnvironmentClass } from './environment.js'
import { LEAKS_KEY } from './shared.js'

export type { LeakproofOptions, Verdict, Finding, Size } from '@leakproof/core'
export type { EnvironmentClass }

type Leaks = typeof engineLeaks

function engine(method: string): Leaks {
  const found = (globalThis as { [LEAKS_KEY]?: Leaks })[LEAKS_KEY]
  if (!found) {
    throw new Error(
      `leaks.${method}() needs leakproof's Jest environment: set testEnvironment to '@leakproof/jest/node' or '@leakproof/jest/jsdom' (or wrap your own with withLeakproof()).`,
    )
  }
  return found
}

/** Per-test controls, the same as in `@leakproof/vitest`. */
export const leaks: Leaks = {
  budget: (size) => engine('budget').budget(size),
  watch: (object, label) => engine('watch').watch(object, label),
  ignore: (reason) => engine('ignore').ignore(reason),
  noRerun: (reason) => engine('noRerun').noRerun(reason),
}

/**
 * Adds leakproof to a custom test environment class: `module.exports = withLeakproof(MyEnvironment)`.
 * Loaded on first call, so test files that import `leaks` do not load the engine.
 */
export function withLeakproof<T extends EnvironmentClass>(Base: T): T {
  return (require('./environment.js') as typeof import('./environment.js')).withLeakproof(Base)
}
