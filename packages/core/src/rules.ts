/**
 * Every decision of the leak check, as pure functions over what the probes measured: which tests
 * are judged, who is a suspect, what a re-run proves, what a verdict is. The detector gathers the
 * measurements and runs the re-runs; these say what they mean (unit-tested in test/rules.test.ts).
 */
import type { Finding, SourceLocation, Verdict } from './findings.js'
import type { FoldedStep } from './snapshot/fold.js'

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

/**
 * Under a DOM (jsdom, happy-dom), the libraries a render goes through keep per-run bookkeeping that
 * no test can release: React's latest event and its target, the selector engine's recent results,
 * dev-mode component stacks. Measured at 65–85 KB per run on fixtures/rtl's clean tests, growing
 * for nine runs. A DOM test's leak that matters keeps a tree (the `dom` kind judges those exactly)
 * or data well above this.
 */
export const DOM_NOISE_FLOOR = 256 * 1024

/** Growth a test may show per run before it counts: its budget, never below the noise floor. */
export function retainedThreshold(budget: number, underDom = false): number {
  return Math.max(budget, underDom ? DOM_NOISE_FLOOR : NOISE_FLOOR)
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
 * After one full GC, the waiting windows are told apart by the allocation profiler: `sampled` is its estimate of what the window allocated and is still alive (one sample
 * per 16 KB), `externalGrowth` what it allocated of Buffers and ArrayBuffers at most, which the profiler
 * does not sample. Half the threshold in samples makes a suspect: a leak at the noise floor leaves about
 * four samples, and one that is missed at this bar keeps so little that a re-run could not
 * confirm it either.
 */
export function retainedBySamples(sampled: number, externalGrowth: number | undefined, threshold: number): boolean {
  return sampled >= threshold / 2 || (externalGrowth ?? 0) > threshold
}

/**
 * A memory suspect's re-run, after the full GC that follows it: a suspect still if it kept the whole
 * threshold in samples. The first run's half is a wide net, cast for free by the GC judging takes
 * anyway; a re-run decides whether the costly confirmation comes (a full GC after each of several
 * more runs, which then needs more than the threshold of growth per run to fail the test). An HTTP
 * client's keep-alive pool holds each run's last sockets, three to five samples, and every such
 * suspect was cleared by that confirmation after seconds of re-runs.
 */
export function retainedByRerunSamples(
  sampled: number,
  externalGrowth: number | undefined,
  threshold: number,
): boolean {
  return sampled >= threshold || (externalGrowth ?? 0) > threshold
}

/**
 * A memory suspect after two marked re-runs (rules above: `retainedByRerunSamples`): `earlier` is what
 * is still alive of the first re-run's sampled objects after the second, `later` the second's. A
 * leak keeps every run's, so both must be a suspect's; what replaces the previous run's (the newest
 * render, the last result cached) keeps only the later. Memory outside the heap, which samples do
 * not see, keeps it a suspect when the later run grew it past the threshold.
 */
export function keptAcrossReruns(
  earlier: number,
  later: number,
  laterExternalGrowth: number | undefined,
  threshold: number,
): boolean {
  return retainedByRerunSamples(Math.min(earlier, later), laterExternalGrowth, threshold)
}

/** More than half of `n` runs. */
export function majority(n: number): number {
  return Math.floor(n / 2) + 1
}

/**
 * Re-runs of a memory suspect, each followed by a full GC, grew live memory by `growth`. A leak
 * grows by more than the threshold in a majority of the runs (not every run: other memory dying
 * during one — a reporter's under --runInBand, a previous test file's environment — can hide its
 * growth, even make it negative); a lazy singleton, a filled cache or a first import grows once
 * and stops: cleared as soon as a majority cannot grow any more.
 *
 * A run in which live memory fell by more than the threshold says nothing about the test: what it
 * keeps cannot shrink the heap, other memory died meanwhile (a Jest worker lets go of an earlier
 * file's environment, megabytes, while the next file is judged). Such a run is run again, up to
 * `repetitions` times: two of them in three runs would otherwise clear a leak. Past that, every run
 * counts as it reads.
 */
export function retainedAcrossRuns(
  growth: readonly number[],
  threshold: number,
  repetitions: number,
): 'leak' | 'clean' | 'undecided' {
  const disturbed = growth.filter((g) => g < -threshold).length
  const counted = disturbed > repetitions ? growth : growth.filter((g) => g >= -threshold)
  const grew = counted.filter((g) => g > threshold).length
  if (counted.length - grew >= repetitions - majority(repetitions) + 1) return 'clean'
  // A leak runs every repetition: the report's per-run figures are then the same for every leak.
  return growth.length >= repetitions && grew >= majority(repetitions) ? 'leak' : 'undecided'
}

/**
 * What a confirmed leak keeps per run: the median of the runs that grew. A run in which other memory
 * died meanwhile (a previous Jest file's environment, what judging's re-runs left, freed over several
 * GCs) reads low, one that compiled or cached something reads high; the median is what the test keeps.
 */
export function perRunGrowth(
  growth: readonly number[],
  threshold: number,
): { perRun: number; minPerRun: number; runsThatGrew: number } {
  const grew = growth.filter((g) => g > threshold).sort((a, b) => a - b)
  const middle = grew.length >> 1
  const median = grew.length % 2 === 1 ? grew[middle]! : (grew[middle - 1]! + grew[middle]!) / 2
  return { perRun: Math.round(median), minPerRun: grew[0]!, runsThatGrew: grew.length }
}

/**
 * The run between the two heap snapshots that explain a confirmed leak is one more repetition: the
 * new objects it kept (`kept`: the biggest group's retained size, or all new objects' own size)
 * must be a leak's too. Growth that the re-runs measured but this run does not repeat was held by
 * something passing (work still queued when a re-run ended), and is not reported.
 */
export function keptBetweenSnapshots(
  groups: ReadonlyArray<{ retainedSize: number }>,
  totalSelfSize: number,
  threshold: number,
): boolean {
  return Math.max(totalSelfSize, ...groups.map((g) => g.retainedSize)) > threshold
}

/**
 * How long a test's body may take on a re-run: ten times its first run, at least two seconds, and
 * never more than the test's own timeout (the adapter applies that). A body that waits longer waits
 * for something the file's later tests took down (a server a step-by-step suite closed, a socket
 * that will never answer): waiting out the test's own timeout (5 s by default) for each such
 * re-run was most of what judging cost an HTTP suite.
 */
export function rerunBodyLimit(firstRunMs: number): number {
  return Math.max(2_000, Math.ceil(10 * firstRunMs))
}

/** A test judged on its one run: only growth well above anything a first run makes is a leak. */
export function retainedOnOneRun(growth: number, threshold: number): boolean {
  return growth > Math.max(threshold, SINGLE_RUN_FLOOR)
}

/** Whether a finding of a test's first run was there at three points, and whether its re-run made it again. */
export interface RerunObservation {
  /** When judging began (after later tests ran): not closed or removed meanwhile. */
  atJudging: boolean
  /** Right before the test's own re-run (other tests' re-runs, judged first, may have removed it). */
  beforeRerun: boolean
  /** After its re-run. */
  afterRerun: boolean
  /** The re-run made the same thing again (same sort, same target, same line) and it is still there. */
  madeAgain: boolean
}

/**
 * The one rule for first use, for every kind: a finding of the first run stands only if the re-run
 * made it again and the first one was kept. A library's lazily made singleton (a global set with
 * `??=`, a helper process, the one DOM tree a cache keeps) is made once: `first-use`. A thing the
 * re-run replaced (an idempotent registration: removed, then added again) was not kept: `gone`, as
 * is one that later tests closed or removed before judging began (tests that share a connection).
 * One that another test's re-run removed says nothing about being kept: then making it again is enough.
 */
export function afterRerun(seen: RerunObservation): 'leak' | 'first-use' | 'gone' {
  if (!seen.atJudging) return 'gone'
  if (seen.beforeRerun && !seen.afterRerun) return 'gone'
  return seen.madeAgain ? 'leak' : 'first-use'
}

/**
 * A detached tree is a leak only if one is kept from every run (`alive`: the first run's tree, then
 * each re-run's, after a full GC). A cache of the last results made holds the newest ones and lets
 * the older go: one tree that the next runs replace is not a leak, however many the cache keeps at once.
 */
export function keptByEveryRun(alive: readonly boolean[]): boolean {
  return alive.length > 0 && alive.every(Boolean)
}

/**
 * The DOM implementation's selector engine keeps the results of queries (jsdom: nwsapi's resolver
 * cache, each selector's first results until that selector is asked of another node or the
 * document goes; @asamuzakjp/dom-selector's finder and the last event): the user has nothing to act
 * on in a detached tree held only there. A path through it is not a leak's path.
 */
export function heldByQueryCache(steps: readonly FoldedStep[]): boolean {
  return steps.some(
    (step) =>
      step.edge === '_nwsapi' ||
      /^DOMSelector\b/.test(step.node) ||
      (step.file !== undefined && /[\\/]node_modules[\\/](nwsapi|@asamuzakjp[\\/]dom-selector)[\\/]/.test(step.file)),
  )
}

/** Listener targets that outlive every test: their listeners are there or not without a GC. */
const NEVER_GARBAGE = new Set(['window', 'document', 'process'])

/**
 * Whether a handle, listener or global still there after the file's afterAll hooks can only be
 * told after a full GC. The listener probes hold their targets weakly: a listener on a node that
 * the hooks took out of the document (React Testing Library's cleanup removes each container), or
 * on an emitter the hooks let go of, is gone with its target once that is garbage. The window's,
 * the document's and the process's listeners, handles and globals are there or not without one:
 * React's `selectionchange` listener and user-event's `focus`/`blur` on the document, one each per
 * document, spared a Jest file two mark-compacts (90 ms at 50 MB).
 */
export function judgedAfterGc(finding: { kind: string; target?: string }): boolean {
  return finding.kind === 'listener' && !NEVER_GARBAGE.has(finding.target ?? '')
}

/** What a timer is, for `isDependencyExpiryTimer`. */
export interface TimerState {
  /** An interval (`setInterval`), not a one-shot timeout. */
  repeats: boolean
  /** Keeps the process alive (not `unref`ed). */
  ref: boolean
  /** Made by a dependency's code (origin.ts), not the user's. */
  byDependency: boolean
}

/**
 * A one-shot timer that a dependency made and `unref`ed is the library's own expiry: a TTL cache's
 * entry (ocache arms one per entry, 60 s), a debounce, a lazy flush. It keeps no process alive and
 * lets go of what it holds when it fires; the user can neither clear it nor should: what it holds
 * is judged as memory. The user's own unref'd timer is still a handle left behind (their test can
 * clear it), as is a dependency's interval or a timer that keeps the process up.
 */
export function isDependencyExpiryTimer(timer: TimerState): boolean {
  return timer.byDependency && !timer.repeats && !timer.ref
}

/**
 * The members of an emitter that say whether it is closed: a server's, a socket's or stream's, an
 * HTTP/2 session's, a WebSocket's or EventSource's (`readyState` against its own `CLOSED`), an
 * engine.io or socket.io transport's (`readyState` 'closed').
 */
export interface EmitterState {
  listening?: unknown
  destroyed?: unknown
  closed?: unknown
  address?: unknown
  close?: unknown
  readyState?: unknown
  CLOSED?: unknown
}

/**
 * An emitter that is closed emits nothing any more, and a listener on it holds nothing that the
 * emitter itself does not: a server not listening (closed in `afterAll`, as step-by-step suites do),
 * a destroyed socket or stream, a closed HTTP/2 session or WebSocket (a library that closes a
 * transport adds an `error` listener to it, to swallow what a late error would throw: engine.io's
 * `clearTransport`). Its listeners are not left behind.
 */
export function isClosedEmitter(emitter: EmitterState): boolean {
  if (emitter.destroyed === true || emitter.closed === true) return true
  const { readyState } = emitter
  if (readyState !== undefined && (readyState === 'closed' || readyState === emitter.CLOSED)) return true
  const serverLike = typeof emitter.close === 'function' && typeof emitter.address === 'function'
  return serverLike && emitter.listening === false
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

/**
 * A test file's environment must be gone once a full GC ran after the next file's was released as
 * well (`fullGcAfterRelease`: the number of the latest release a full GC came after; files are
 * numbered in the order they were released). Not one file earlier: what a file starts closing in
 * its afterAll hooks (a server's `close()`, a socket draining, a response body being released)
 * gets a whole file's time to end, and Jest itself holds a file's environment while the next one runs.
 */
export function environmentMustBeGone(released: number, fullGcAfterRelease: number): boolean {
  return fullGcAfterRelease >= released + 1
}

/**
 * Where a released environment stands: `waiting` until it must be gone; `suspect` when it was alive
 * after such a GC (`aliveAfter`: the `fullGcAfterRelease` it was first seen alive at); `held` when
 * it is alive again after a full GC that came after a later release than that. The test framework
 * lets go of a file's environment on its own schedule (seen under Jest's workers: the promise chain
 * of the file running then, for one more file): only what outlives that costs a heap snapshot.
 */
export function environmentState(
  released: number,
  fullGcAfterRelease: number,
  aliveAfter: number | undefined,
): 'waiting' | 'suspect' | 'held' {
  if (!environmentMustBeGone(released, fullGcAfterRelease)) return 'waiting'
  return aliveAfter !== undefined && fullGcAfterRelease > aliveAfter ? 'held' : 'suspect'
}

/**
 * Used heap a worker may grow by since the last full GC before leakproof takes one for the
 * environment check, at least: V8 runs full GCs by itself when whole environments pile up (each is
 * megabytes), and leakproof's own GCs judge too; this is for the hosts where neither came (Vitest
 * 5's vm pools ran 14 of fixtures/environments' files without one).
 */
export const ENVIRONMENT_GC_GROWTH = 64 * 1024 * 1024

/**
 * At a file's release (`latest`: the number of the release before it): whether leakproof takes a
 * full GC so that the environments waiting can be judged. When a suspect (see `environmentState`)
 * was first seen alive before `latest`: the GC confirms or clears it, as re-runs do for a test's
 * suspects. Otherwise only when one would be judged by it (the oldest waiting was released before
 * `latest`: one file later) and the used heap grew since the last full GC by more than what was
 * live after it (and `ENVIRONMENT_GC_GROWTH`): a GC then costs about 1 ms per MB live, once per as
 * many MB allocated, never once per clean file.
 */
export function environmentGcDue(w: {
  oldestWaiting: number
  latest: number
  /** The earliest `aliveAfter` of the suspects, if there are any. */
  suspectSince: number | undefined
  grown: number
  liveAfterFullGc: number
}): boolean {
  if (w.suspectSince !== undefined && w.suspectSince < w.latest) return true
  return w.oldestWaiting < w.latest && w.grown > Math.max(ENVIRONMENT_GC_GROWTH, w.liveAfterFullGc)
}

/**
 * A file whose environment stayed alive, held by a function of the module where something it (or
 * one of its tests) already failed for was made (an interval's callback, a `process` listener):
 * that failure names the cause; the environment is a note, not a second failure. With no path (the
 * snapshot could not be taken), any failure of the file's may be what holds it.
 */
export function heldByOwnFailure(holder: SourceLocation | undefined, failedFor: readonly SourceLocation[]): boolean {
  // No snapshot could be read: what the file failed for may hold it, and it has failed.
  if (holder === undefined) return failedFor.length > 0
  return failedFor.some((at) => at.file === holder.file)
}
