import type { Size } from '@leakproof/core'
import { leakproof } from './node/plugin.js'
import { engine } from './runtime/engine.js'

export { leakproof }
export default leakproof
export type { LeakproofOptions, BudgetRule, Size } from '@leakproof/core'
/** The same engine as the setup file's (see runtime/engine.ts): `leaks.*` acts on its windows. */
export const leaks = engine.leaks
export const LeakError = engine.LeakError
export type LeakError = import('@leakproof/core').LeakError

/** Per-test settings through Vitest's own test options: `test('x', { meta: { leakproof: { budget: '2 MB' } } }, fn)`. */
export interface LeakproofTestOptions {
  /** Memory this test (or every test of this describe block) may keep per run. */
  budget?: Size
  /** Judge this test on one run: it must not be re-run (the value says why). */
  noRerun?: string | true
  /** Skip leak checks for this test (the value says why). */
  ignore?: string | true
}

declare module 'vitest' {
  interface TaskMeta {
    leakproof?: LeakproofTestOptions
    /** The test's verdict, for the run's report (set by leakproof in the worker). */
    leakproofVerdict?: import('@leakproof/core').Verdict
    /** A test file's after-all verdict, for the run's report. */
    leakproofFile?: import('@leakproof/core').Verdict
    /** The file's point of its worker's heap timeline, for the run's report. */
    leakproofHeap?: { worker: string; point: import('@leakproof/core').HeapPoint }
    /** Earlier test files of the worker whose environment stayed alive, found when this one ended. */
    leakproofEnvironments?: Array<{ file: string; verdict: import('@leakproof/core').Verdict }>
  }
  interface ProvidedContext {
    '@leakproof/options': import('@leakproof/core').ResolvedOptions
  }
}
