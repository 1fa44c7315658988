/**
 * Every decision of the leak check, as pure functions over what the probes measured: which tests
 * are judged, who is a suspect, what a re-run proves, what a verdict is. The detector gathers the
 * measurements and runs the re-runs; these say what they mean (unit-tested in test/rules.test.ts).
 */
import type { Finding, Verdict } from './findings.js'

/**
 * Growth below this is not judged: V8 allocates code, feedback vectors and the host's own
 * bookkeeping in amounts of a few KB per test, which no re-run would tell from a leak reliably.
 */
export const NOISE_FLOOR = 64 * 1024

/**
 * A test judged on its one run (`noRerun`) has nothing to tell a first use from a leak: code run
 * for the first time, lazy framework state. Measured at up to ~250 KB for an empty Vitest test, so
 * below this nothing is judged on one run.
 */
export const SINGLE_RUN_FLOOR = 1024 * 1024

/** Growth a test may show per run before it counts: its budget, never below the noise floor. */
export function retainedThreshold(budget: number): number {
  return Math.max(budget, NOISE_FLOOR)
}

export interface HostTest {
  /** Runs at the same time as other tests of its file (`test.concurrent`, `describe.concurrent`). */
  concurrent?: boolean
  /** Expected to fail (`test.fails`, `test.failing`). */
  expectedToFail?: boolean
}

/**
 * How a test is judged. Concurrent tests share the worker at the same time: what one leaves cannot
 * be told from what another does, so they are judged together with their file. A test expected to
 * fail is not judged: its failure is the point.
 */
export function judgingOf(test: HostTest): 'alone' | 'with-file' | 'not-judged' {
  if (test.concurrent) return 'with-file'
  if (test.expectedToFail) return 'not-judged'
  return 'alone'
}

/**
 * The cheap check of a window: `bound` is the growth of used heap between scavenges at its two ends
 * (undefined when a major GC ran inside it and freed older garbage, so the growth says nothing).
 * What the window retains is at most the bound; only above the threshold can it be a leak.
 */
export function mayRetain(bound: number | undefined, threshold: number): boolean {
  return bound === undefined || bound > threshold
}

/**
 * One full GC judges every window since the previous one: live memory grew by `growth` over all of
 * them together, so none of them retained more than that — unless memory alive at the previous GC
 * died meanwhile (the previous test file's, under Jest's --runInBand) and hides it, which a negative
 * growth says: then only re-runs can tell.
 */
export function clearedBySpan(growth: number | undefined, threshold: number): boolean {
  return growth !== undefined && growth >= 0 && growth <= threshold
}

/** More than half of `n` runs. */
export function majority(n: number): number {
  return Math.floor(n / 2) + 1
}

/**
 * Re-runs of a memory suspect, each followed by a full GC, grew live memory by `growth`. A leak
 * grows by more than the threshold in a majority of the runs (not every run: other work in the
 * process, a reporter under --runInBand, can free a few hundred KB during one and hide its growth);
 * a lazy singleton, a filled cache or a first import grows once and stops.
 */
export function retainedAcrossRuns(growth: readonly number[], threshold: number, repetitions: number): 'leak' | 'clean' | 'undecided' {
  const grew = growth.filter((g) => g > threshold).length
  const flat = growth.length - grew
  if (flat >= repetitions - majority(repetitions) + 1) return 'clean'
  if (growth.length < repetitions) return 'undecided'
  const bytes = growth.reduce((a, b) => a + b, 0)
  return grew >= majority(repetitions) && bytes > repetitions * threshold ? 'leak' : 'clean'
}

/** A test judged on its one run: only growth well above anything a first run makes is a leak. */
export function retainedOnOneRun(growth: number, threshold: number): boolean {
  return growth > Math.max(threshold, SINGLE_RUN_FLOOR)
}

/**
 * The one rule for first use, for every kind: after one more run of the test, a finding of its first
 * run stands only if it is still there (`stillThere`: not closed, removed, collected or replaced by
 * the re-run) and the re-run made it again (`madeAgain`). A library's lazily made singleton (a
 * global set with `??=`, a helper process, a listener registered idempotently, the one DOM tree a
 * cache keeps until the next query) is made once; a leak is made on every run.
 */
export function afterRerun(stillThere: boolean, madeAgain: boolean): 'leak' | 'first-use' | 'gone' {
  if (!stillThere) return 'gone'
  return madeAgain ? 'leak' : 'first-use'
}

/** A verdict's state from the findings that stand: any error-severity finding makes it a leak. */
export function stateOf(findings: readonly Finding[]): 'leak' | 'clean' {
  return findings.some((f) => f.severity === 'error') ? 'leak' : 'clean'
}

/** Describe blocks and test name joined by ` > `, the same in every adapter. */
export function fullNameOf(names: readonly string[]): string {
  return names.filter((n) => n !== '').join(' > ')
}

/** What an adapter does with a verdict: fail the test (`error`), or only carry it to the report. */
export function failsTest(verdict: Verdict): boolean {
  return verdict.state === 'leak'
}
