import { relative, sep } from 'node:path'
import { setImmediate as nextMacrotask } from 'node:timers/promises'
import { resolveBudget, type ResolvedBudget } from './budget.js'
import { describeFound } from './format.js'
import { formatBytes } from './size.js'
import { explainAlive, explainRetained, type SnapshotPlace } from './explain-findings.js'
import { EnvironmentJudge, type FileVerdict } from './environment-verdicts.js'
import { environments } from './environments.js'
import {
  findingOrigins,
  type AllocationSite,
  type Finding,
  type RetainedFinding,
  type SourceLocation,
  type Verdict,
} from './findings.js'
import { fullGc, heapAndExternal, settledLiveMemory } from './gc.js'
import { watchHeapFromHere } from './heap-timeline.js'
import { setCurrentWindow } from './leaks.js'
import type { ResolvedOptions } from './options.js'
import {
  liveAllocations,
  mark,
  release,
  startAllocationSampling,
  type LiveAllocations,
  type Mark,
} from './probes/allocations.js'
import { settleHandles } from './probes/handles.js'
import { endHeapWindow, startHeapWindow, stopHeapWindow } from './probes/heap.js'
import { enableProbes, findingKey, type Found, type Probes } from './probes/probe.js'
import { snapshotGlobals, watchAssignments } from './probes/globals.js'
import { isMock, spiesOn, spiesThatGrew, spyCalls } from './probes/spies.js'
import { releaseQueryCaches } from './probes/dom.js'
import { releaseIdleOriginPools } from './probes/fetch-pools.js'
import { closeWindow, openWindow } from './probes/window-ref.js'
import { loadBaseline, type BaselineEntry } from './report/baseline.js'
import { whileChecking } from './report/interrupted.js'
import { testId } from './report/model.js'
import {
  afterRerun,
  heldByQueryCache,
  judgedAfterGc,
  keptBetweenSnapshots,
  keptAcrossReruns,
  keptByEveryRun,
  mayRetain,
  perRunGrowth,
  rerunBodyLimit,
  retainedByRerunSamples,
  retainedBySamples,
  retainedAcrossRuns,
  retainedOnOneRun,
  retainedThreshold,
} from './rules.js'
import { verdictOf } from './verdict.js'
import { trace } from './trace.js'
import { withinTime } from './within-time.js'
import { measureFromHere, Window, type TestInfo } from './window.js'

export interface DetectorHost {
  /** Project root: file names in findings and budget globs are relative to it. */
  root: string
  /** Globals the host framework defines while a test runs (its own bookkeeping). */
  isHostGlobal?: (name: string) => boolean
  /** The global object tests run against, when it is not this realm's `globalThis` (Jest's vm context). */
  global?: object
}

/**
 * Runs a test's window once more: its beforeEach hooks, body and afterEach hooks. The body is given
 * at most `bodyLimitMs` (rules.ts, `rerunBodyLimit`), its hooks their own timeouts.
 */
export type Rerun = (bodyLimitMs: number) => Promise<void>

/** A re-run into a scratch window: what was there right before it, and what it made. */
interface ScratchRun {
  before: Set<string>
  scratch: Window
}

/** A test window that ended with something only a full GC or a re-run can judge. */
interface Waiting {
  window: Window
  rerun: Rerun
  threshold: number
  /** The retained-memory check: 'unjudged' until the first full GC after the window ended. */
  memory: 'unjudged' | 'suspect' | 'cleared'
  /** What the full GC decided, for a window that waits for the afterAll hooks too. */
  partial?: { findings: Finding[]; notes: string[] }
  /** Its handles, listeners and globals when judging began, before any re-run. */
  exactAtJudging?: Found[]
  /** Keys of those that the re-runs of judging removed (a cleanup of everything mounted): not the afterAll hooks' doing. */
  removedByReruns?: Set<string>
  /** Where a memory suspect's first re-run allocated what it kept (the screening re-run, see `screenSuspects`). */
  sites?: AllocationSite[]
}

export interface Judged {
  window: Window
  verdict: Verdict
}

/**
 * The engine's one entry point for adapters. A test's window opens (`begin`) and ends (`end`); what
 * can be judged at once is (a clean test costs two scavenges and the probes' bookkeeping), the rest
 * waits. `judgeWaiting`, called where no later test of the file can see a re-run's side effects
 * (after the last test, before the afterAll hooks), takes one full GC for every window waiting and
 * re-runs only the suspects. What the measurements mean is decided in rules.ts.
 */
export class Detector {
  /** Live heap + external memory after the most recent full GC. */
  private lastLive: number | undefined
  private fileWindow: Window | undefined
  private readonly concurrentTests: string[] = []
  private readonly waiting: Waiting[] = []
  /** Windows judged after the GC that also left handles, listeners or globals: judged after afterAll. */
  private readonly afterTeardown: Waiting[] = []
  private readonly scope: object
  private readonly probes: Probes
  /** Where what this file's tests failed for was made: what holds the file's environment, if it stays (environments.ts). */
  private readonly failedFor: SourceLocation[] = []
  /** Known leaks by test id: they are reported, not failed, until they grow. */
  private readonly baseline: Map<string, BaselineEntry>

  constructor(
    readonly options: ResolvedOptions,
    private readonly host: DetectorHost,
  ) {
    this.scope = host.global ?? globalThis
    this.baseline = loadBaseline(host.root, options.baseline)
    const { kinds } = options
    this.probes = enableProbes({
      handles: kinds.handle !== 'off',
      listeners: kinds.listener !== 'off',
      globals: kinds.global !== 'off',
      dom: kinds.dom !== 'off',
      watched: kinds.watched !== 'off',
      scope: this.scope,
      isHostGlobal: host.isHostGlobal ?? (() => false),
    })
  }

  /** Opens a file's window: everything until `endFile`, minus what its tests' windows record. */
  beginFile(file: string): Window {
    watchHeapFromHere(this.host.root, file, this.options.keepSnapshots)
    this.failedFor.length = 0
    const window = new Window('file', { file, fullName: '' }, snapshotGlobals(this.scope))
    this.fileWindow = window
    openWindow(window)
    return window
  }

  /** A concurrent test: judged with its file (see rules.ts, `judgingOf`). */
  judgeWithFile(fullName: string): void {
    this.concurrentTests.push(fullName)
  }

  /** Judges a file after its afterAll hooks: handles, listeners and globals only (see README, "Limits"). */
  endFile(window: Window): Verdict {
    closeWindow(window)
    if (!this.options.checkFiles) {
      this.drop(window)
      return { state: 'skipped', findings: [], notes: [] }
    }
    // DOM listeners on the window, the document or nodes in it; no GC here (see README, "Limits").
    const found = this.collect(window).filter((f) => f.kind !== 'dom' && f.kind !== 'watched')
    this.drop(window)
    const verdict = this.verdict(window, this.withSeverity(found), [])
    const concurrent = this.concurrentTests
    if (verdict.state === 'leak' && concurrent.length > 0) {
      const names =
        concurrent
          .slice(0, 5)
          .map((n) => `"${n}"`)
          .join(', ') + (concurrent.length > 5 ? ` and ${concurrent.length - 5} more` : '')
      verdict.notes.push(
        `${concurrent.length} concurrent ${concurrent.length === 1 ? 'test is' : 'tests are'} judged with this file, not one by one (their windows overlap, so what one leaves cannot be told from what another does): ${names}`,
      )
    }
    return verdict
  }

  begin(info: TestInfo): Window {
    const window = new Window('test', info, snapshotGlobals(this.scope))
    window.startedAt = performance.now()
    openWindow(window)
    setCurrentWindow(window)
    if (this.options.kinds.retained !== 'off') {
      // No full GC here for a first reading of live memory (it cost 200–300 ms per file in a Jest
      // worker): until the first judging GC there is no span to clear windows by, and the
      // allocation profiler's samples tell the windows apart on their own. The profiler starts with
      // the first window, not with the detector: what the test file imports before it is no
      // window's, and sampling it cost about 45 ms per file in a React suite's imports.
      startAllocationSampling()
      // The mark before the scavenge: the cheap bound counts it at both ends, never as growth.
      window.startMark = mark()
      window.heap = startHeapWindow()
      if (window.noRerun !== undefined) measureFromHere(window)
    }
    return window
  }

  /** Closes a window without judging it: the test failed on its own, and its failure stands alone. */
  discard(window: Window): void {
    this.closeTestWindow(window)
    if (window.heap) stopHeapWindow(window.heap)
    this.releaseMarks(window)
    this.drop(window)
  }

  private releaseMarks(window: Window): void {
    release(window.startMark)
    release(window.endMark)
    window.startMark = window.endMark = undefined
  }

  /**
   * Ends a test's window. Returns its verdict when it can be given now: nothing left, or a test
   * judged on its one run (`noRerun`, or a host that cannot re-run it). Otherwise the window waits
   * for `judgeWaiting`, and this returns undefined.
   */
  async end(window: Window, rerun?: Rerun): Promise<Verdict | undefined> {
    if (window.ignored !== undefined) {
      this.discard(window)
      return { state: 'skipped', findings: [], notes: [`leak check skipped: ${window.ignored}`] }
    }
    window.duration = performance.now() - (window.startedAt ?? performance.now())
    if (this.options.kinds.handle !== 'off') await settleHandles(window)
    this.closeTestWindow(window)
    const measured = window.heap ? endHeapWindow(window.heap) : undefined
    const bound = measured?.growthBound
    window.externalGrowth = measured?.externalGrowth
    window.endMark = window.startMark && mark()
    const threshold = retainedThreshold(this.budgetOf(window).bytes, this.probes.dom !== undefined)
    const memory = this.options.kinds.retained !== 'off' && window.heap !== undefined && mayRetain(bound, threshold)
    trace('end', window.info, { bound, external: window.externalGrowth, threshold, memory })
    if (!rerun || window.noRerun !== undefined)
      return this.judgeOnOneRun(window, memory, threshold, window.noRerun ?? 'this host cannot re-run the test')
    for (const p of this.probes.list) p.seal?.(window)
    const waits = memory || this.collect(window).length > 0
    if (!waits) {
      this.drop(window)
      return this.verdict(window, [], [])
    }
    if (!memory) this.releaseMarks(window)
    this.waiting.push({ window, rerun, threshold, memory: memory ? 'unjudged' : 'cleared' })
    return undefined
  }

  /** True while some test's window waits for its verdict. */
  hasWaiting(select: (window: Window) => boolean = () => true): boolean {
    return this.waiting.some((w) => select(w.window)) || this.afterTeardown.some((w) => select(w.window))
  }

  /**
   * Judges what only a full GC can tell, for every waiting test: after the file's last test, before
   * its afterAll hooks, where no test of the file is left to see what re-runs do. One full GC judges
   * them all for memory; only the suspects are re-run. Tests that also left handles, listeners or
   * globals are not done: those are judged after the afterAll hooks (`judgeAfterTeardown`), and
   * their verdict comes then.
   */
  async judgeWaiting(): Promise<Judged[]> {
    const batch = this.waiting.splice(0)
    if (batch.length === 0) return []
    await this.observeFullGc(batch)
    // What each test left, as it is when judging begins: a re-run judged first may change it.
    const atJudging = new Map(batch.map((w) => [w, this.collect(w.window, 'after-gc')]))
    const exactAtJudging = new Map(batch.map((w) => [w, this.collect(w.window, 'exact')]))
    // The last test first: tests build on the ones before them, so a re-run of an earlier test
    // (signing in again) would change what the later tests' re-runs see, never the other way round.
    const judged: Judged[] = []
    const partials = new Map<Waiting, { findings: Finding[]; notes: string[] }>()
    // Detached trees and watched objects: every test that left some runs again first, then one
    // full GC tells for all of them what the re-runs made again (one GC per test cost seconds on a
    // React suite's file).
    const reruns: Array<{ waiting: Waiting; rerun: ScratchRun }> = []
    // Memory suspects run again in the same round: what a re-run allocates and keeps, read from the
    // profiler's samples after the same full GC, clears a first use (a cache filled, code compiled)
    // without a full GC per re-run; only the suspects whose re-run kept as much are confirmed one by one.
    for (const waiting of [...batch].reverse()) {
      const found = atJudging.get(waiting)!
      partials.set(waiting, { findings: [], notes: [] })
      if (found.length === 0 && waiting.memory !== 'suspect') continue
      const notes = partials.get(waiting)!.notes
      const rerun = await this.checking(waiting.window, 're-running it to tell a first use from a leak', () =>
        this.rerunInScratch(waiting.window, waiting.rerun, found, notes, waiting.memory === 'suspect'),
      )
      if (rerun) reruns.push({ waiting, rerun })
      else waiting.memory = 'cleared'
    }
    if (reruns.length > 0)
      this.screenSuspects(reruns, await this.judgingGc(reruns.some(({ waiting }) => waiting.memory === 'suspect')))
    const standing = reruns.map(({ waiting, rerun }) => ({
      waiting,
      second: rerun.scratch,
      found: this.standing(waiting.window, atJudging.get(waiting)!, rerun, partials.get(waiting)!.notes),
      notes: partials.get(waiting)!.notes,
    }))
    await this.judgeOnAThirdRun(standing)
    for (const { rerun } of reruns) this.dropScratch(rerun.scratch)
    // One heap snapshot explains the trees and watched objects that stand, for all of the tests.
    const explained = await this.explainedTogether(
      standing.map(({ waiting, found, notes }) => ({
        window: waiting.window,
        findings: this.withSeverity(found),
        notes,
      })),
    )
    reruns.forEach(({ waiting }, i) => partials.get(waiting)!.findings.push(...explained[i]!))
    await this.confirmTogether(batch.filter((w) => !this.failsAlready(w.window, partials.get(w)!.findings)))
    for (const waiting of [...batch].reverse()) await this.judgeMemory(waiting, partials.get(waiting)!)
    for (const waiting of batch) {
      const partial = partials.get(waiting)!
      const exact = exactAtJudging.get(waiting)!
      if (exact.length > 0) {
        const now = new Set(this.collect(waiting.window, 'exact').map(findingKey))
        const removedByReruns = new Set(exact.map(findingKey).filter((k) => !now.has(k)))
        this.afterTeardown.push({ ...waiting, partial, exactAtJudging: exact, removedByReruns })
      } else {
        this.drop(waiting.window)
        judged.push({ window: waiting.window, verdict: this.verdict(waiting.window, partial.findings, partial.notes) })
      }
    }
    return judged
  }

  /**
   * Handles, listeners and globals a test left, judged after the file's afterAll hooks: what they
   * closed, removed or deleted was the suite's (a server a step-by-step suite opens in one test and
   * closes in afterAll), not left behind. What is still there gets the first-use rule: one re-run.
   */
  async judgeAfterTeardown(): Promise<Judged[]> {
    const batch = this.afterTeardown.splice(0)
    if (batch.length === 0) return []
    // A listener on a node out of the document is judged with the node: garbage must be gone first.
    if (batch.some((w) => w.exactAtJudging!.some(judgedAfterGc))) {
      await this.judgingGc(false)
      this.lastLive = heapAndExternal()
    }
    // Still there after the afterAll hooks, or removed by another test's re-run (which says nothing
    // about this test): those get the first-use rule. What the hooks took down was the suite's.
    const stillThere = (w: Waiting): Found[] => {
      const now = new Set(this.collect(w.window, 'exact').map(findingKey))
      return w.exactAtJudging!.filter((f) => now.has(findingKey(f)) || w.removedByReruns!.has(findingKey(f)))
    }
    const atJudging = new Map(batch.map((w) => [w, stillThere(w)]))
    const judged: Judged[] = []
    for (const waiting of [...batch].reverse()) {
      const { window, rerun, partial } = waiting
      const notes = [...partial!.notes]
      let found = atJudging.get(waiting)!
      if (found.length > 0)
        found = await this.checking(window, 're-running it to tell a first use from a leak', () =>
          this.standingAfterRerun(window, rerun, found, notes),
        )
      this.drop(window)
      judged.unshift({
        window,
        verdict: this.verdict(window, [...partial!.findings, ...this.withSeverity(found)], notes),
      })
    }
    return judged
  }

  /**
   * One full GC judges every waiting window for memory: the allocation profiler's live samples say
   * which windows allocated what is still alive (rules.ts, `retainedBySamples`). The growth of live
   * memory over the whole span would say it more cheaply, but memory alive before the span may die
   * in it (the previous test file's, under Jest's --runInBand) and hide a leak.
   */
  private async observeFullGc(windows: Waiting[]): Promise<void> {
    const unjudged = windows.filter((w) => w.memory === 'unjudged')
    // The last read of these windows' marks: with no others alive, the profiler starts afresh.
    const allocations = await this.judgingGc(
      unjudged.some((w) => w.window.startMark && w.window.endMark),
      unjudged.flatMap((w) => [w.window.startMark, w.window.endMark]),
    )
    this.lastLive = heapAndExternal()
    for (const w of unjudged) {
      const sampled = sampledIn(w.window, allocations)
      // Without the profiler's samples (it could not be started, or a mark was missed), every
      // window over its cheap bound is a suspect.
      w.memory =
        sampled !== undefined && !retainedBySamples(sampled, w.window.externalGrowth, w.threshold)
          ? 'cleared'
          : 'suspect'
      trace('first run', w.window.info, {
        sampled,
        external: w.window.externalGrowth,
        threshold: w.threshold,
        memory: w.memory,
      })
      this.releaseMarks(w.window)
    }
  }

  /**
   * After the full GC that follows a round of re-runs: a memory suspect whose re-run kept less than
   * its threshold in sampled objects (rules.ts, `retainedByRerunSamples`) kept it on its first run
   * only, and is cleared. Without samples it stays a suspect.
   */
  private screenSuspects(
    reruns: Array<{ waiting: Waiting; rerun: ScratchRun }>,
    allocations: LiveAllocations | undefined,
  ): void {
    const suspects = reruns.filter(({ waiting }) => waiting.memory === 'suspect')
    for (const { waiting, rerun } of suspects) {
      const { startMark, endMark, externalGrowth } = rerun.scratch
      const sampled = sampledIn(rerun.scratch, allocations)
      trace('second run', waiting.window.info, { sampled, external: externalGrowth, threshold: waiting.threshold })
      if (sampled !== undefined && !retainedByRerunSamples(sampled, externalGrowth, waiting.threshold))
        waiting.memory = 'cleared'
      // The sites come from this re-run, the earliest run that keeps only what a leak keeps: the later
      // ones are more optimised, and V8's profiler loses the frames of functions it inlined.
      else if (sampled !== undefined)
        waiting.sites = allocations!.sitesBetween(startMark!, endMark!, this.options.allocationSites)
    }
  }

  /**
   * The confirmation rule (rules.ts, `retainedAcrossRuns`) for several memory suspects at once: each
   * round re-runs every one of them, then one full GC. A round in which live memory grew by less
   * than the smallest threshold is one in which none of them kept its threshold, and rounds enough
   * of those clear them all. The first round that grew stops it: the suspects are then confirmed one
   * by one (`confirmRetained`), a full GC after each run of each. Where sampled objects overstate
   * what a run keeps (a test's own bookkeeping, sampled at the same place on every run), this is two
   * full GCs for the file instead of two for each suspect.
   */
  private async confirmTogether(tests: Waiting[]): Promise<void> {
    const suspects = tests.filter((w) => w.memory === 'suspect')
    // One suspect alone costs the same either way.
    if (suspects.length < 2) return
    const threshold = Math.min(...suspects.map((w) => w.threshold))
    const growth: number[] = []
    let outcome = 'undecided' as ReturnType<typeof retainedAcrossRuns>
    let previous = this.settledLive()
    try {
      while (outcome === 'undecided' && growth.every((g) => g <= threshold)) {
        for (const { window, rerun } of [...suspects].reverse())
          await this.checking(window, 're-running it to confirm a retained-memory leak', () =>
            this.replaying(window, window, () => this.rerunOnce(window, rerun)),
          )
        const now = await this.liveAfterFullGc()
        growth.push(now - previous)
        previous = now
        outcome = retainedAcrossRuns(growth, threshold, this.options.repetitions)
      }
    } catch {
      // A re-run that fails is said in a note by the confirmation one by one, which runs it again.
      return
    } finally {
      this.lastLive = previous
    }
    for (const w of suspects) trace('confirmed together', w.window.info, { growth, threshold, outcome })
    if (outcome === 'clean') for (const w of suspects) w.memory = 'cleared'
  }

  /**
   * The full GC that judges DOM trees and samples (`afterFullGc`), once the host's caches have let
   * go of what tests made (`releaseHostCaches`).
   */
  private judgingGc(readSamples: boolean, lastReadOf?: Array<Mark | undefined>): Promise<LiveAllocations | undefined> {
    this.releaseHostCaches()
    return afterFullGc(readSamples, lastReadOf)
  }

  /**
   * Live memory once what ran before has had its queued work run (a promise's reactions, an
   * immediate) and one judging GC has taken what died: a reading that work still to come cannot skew.
   */
  private async liveAfterFullGc(): Promise<number> {
    await this.judgingGc(false)
    return heapAndExternal()
  }

  /** Live memory settled over a few full GCs (gc.ts), the host's caches let go of first. */
  private settledLive(): number {
    this.releaseHostCaches()
    return settledLiveMemory(3)
  }

  /**
   * Before a GC that judges: the host's caches let go of what tests made and no test can release
   * (jsdom's selector caches, probes/dom.ts; fetch's idle pools of origins, probes/fetch-pools.ts).
   * Neither changes what a test sees: each is rebuilt on the next use.
   */
  private releaseHostCaches(): void {
    if (this.probes.dom) releaseQueryCaches(this.probes.dom)
    releaseIdleOriginPools()
  }

  /** The retained-memory part of a waiting test's verdict, once the full GC said who is a suspect. */
  private async judgeMemory(
    { window, rerun, memory, threshold, sites }: Waiting,
    partial: { findings: Finding[]; notes: string[] },
  ): Promise<void> {
    // A test that fails already for what it left is not re-run for memory as well: those re-runs
    // cost seconds and the leak is reported anyway (unless the baseline knows it).
    if (memory !== 'suspect' || this.failsAlready(window, partial.findings)) return
    const confirmed = await this.checking(
      window,
      're-running it to confirm a retained-memory leak, then taking heap snapshots',
      () => this.confirmRetained(window, rerun, threshold, sites ?? [], partial.notes),
    )
    if (confirmed) partial.findings.push(...this.withSeverity([confirmed]))
  }

  /** A test that is not re-run: what its one run left stands, and only a lot of memory counts. */
  private async judgeOnOneRun(window: Window, memory: boolean, threshold: number, reason: string): Promise<Verdict> {
    this.releaseMarks(window)
    const notes: string[] = []
    const gcProbes = this.collect(window, 'after-gc').length > 0
    let live: number | undefined
    if (gcProbes || memory) live = await this.liveAfterFullGc()
    let findings = this.withSeverity(this.collect(window))
    if (memory && live !== undefined) {
      const before = window.liveAtNoRerun ?? this.lastLive
      const growth = before === undefined ? 0 : live - before
      if (retainedOnOneRun(growth, threshold))
        findings.push(...this.withSeverity([singleRunFinding(growth, this.budgetOf(window))]))
    }
    if (findings.length > 0 || memory) notes.push(`judged on one run, not re-run: ${reason}`)
    findings = await this.explained(window, findings, notes)
    if (live !== undefined) this.lastLive = heapAndExternal()
    this.drop(window)
    return this.verdict(window, findings, notes)
  }

  /**
   * The one rule for first use (rules.ts, `afterRerun`): the test runs once more, recorded in a
   * scratch window of its own; a finding of the first run stands if it is still there and the
   * re-run made it again. A re-run that fails leaves the findings unconfirmed: a note, never a failure.
   */
  private async standingAfterRerun(window: Window, rerun: Rerun, first: Found[], notes: string[]): Promise<Found[]> {
    const done = await this.rerunInScratch(window, rerun, first, notes)
    if (!done) return []
    const found = this.standing(window, first, done, notes)
    this.dropScratch(done.scratch)
    return found
  }

  /**
   * What a cache of the last few results holds stands after one re-run: the first run's detached
   * tree and the re-run's at once (a selector engine's results, the last event's target), or the
   * memory the re-run made (the newest render, the last value computed). A leak keeps something from
   * every run. Each test with such trees, and each memory suspect, runs once more, and after one full
   * GC: a tree stands only if the first run's, the re-run's and this run's are all alive (rules.ts,
   * `keptByEveryRun`); a suspect stays one only if the re-run's sampled objects are still alive and
   * this run kept as much (`keptAcrossReruns`). A re-run and a GC cost far less than the heap
   * snapshot or the confirming re-runs, a full GC after each, that would tell the same.
   */
  private async judgeOnAThirdRun(
    tests: Array<{ waiting: Waiting; second: Window; found: Found[]; notes: string[] }>,
  ): Promise<void> {
    const third = new Map<(typeof tests)[number], ScratchRun | undefined>()
    for (const test of tests) {
      const { window, rerun, memory } = test.waiting
      const trees = test.found.filter((f) => f.kind === 'dom')
      if (trees.length === 0 && memory !== 'suspect') continue
      const run = await this.checking(window, 're-running it once more to tell a cache from a leak', () =>
        this.rerunInScratch(window, rerun, trees, test.notes, memory === 'suspect'),
      )
      third.set(test, run)
    }
    if (third.size === 0) return
    const allocations = await this.judgingGc([...third.keys()].some((t) => t.waiting.memory === 'suspect'))
    const keys = (window: Window | undefined) => new Set(window ? this.collect(window).map(findingKey) : [])
    for (const [test, run] of third) {
      const { waiting, second, notes } = test
      // A failed run has said so in a note: what its first run left is not reported.
      if (!run) waiting.memory = 'cleared'
      else if (waiting.memory === 'suspect' && allocations) {
        const keptBySecond = sampledIn(second, allocations)
        const keptByThird = sampledIn(run.scratch, allocations)
        // A run whose marks went unsampled is not read: the suspect stays one, for the confirming runs.
        const keptBoth =
          keptBySecond === undefined ||
          keptByThird === undefined ||
          keptAcrossReruns(keptBySecond, keptByThird, run.scratch.externalGrowth, waiting.threshold)
        trace('third run', waiting.window.info, {
          second: keptBySecond,
          third: keptByThird,
          external: run.scratch.externalGrowth,
          threshold: waiting.threshold,
          kept: keptBoth,
        })
        if (!keptBoth) waiting.memory = 'cleared'
      }
      const [first, again, last] = [keys(waiting.window), keys(second), keys(run?.scratch)]
      test.found = test.found.filter((f) => {
        if (f.kind !== 'dom') return true
        if (!run) return false
        const key = findingKey(f)
        const kept = keptByEveryRun([first.has(key), again.has(key), last.has(key)])
        if (!kept)
          notes.push(
            `not a leak: ${describeFound(f, this.host.root)} was kept from one run to the next, but not from every run: something keeps the last ones made (a cache of recent results), not each of them`,
          )
        return kept
      })
      if (run) this.dropScratch(run.scratch)
    }
  }

  /** Runs the test once more into a scratch window; undefined (with a note) when the re-run failed. */
  private async rerunInScratch(
    window: Window,
    rerun: Rerun,
    first: Found[],
    notes: string[],
    memorySuspect = false,
  ): Promise<ScratchRun | undefined> {
    const before = new Set(this.collect(window).map(findingKey))
    const scratch = new Window('test', window.info, snapshotGlobals(this.scope, true))
    scratch.rerunOf = window
    const watched = watchAssignments(this.scope, first)
    // Marked for the allocation profiler like a test's own window: what the re-run keeps can be read.
    const heap = this.options.kinds.retained !== 'off' ? startHeapWindow() : undefined
    scratch.startMark = heap && mark()
    try {
      // Settled as a test's end is: a short timer's continuation (the next step of a chain) is the re-run's.
      await this.replaying(window, scratch, async () => {
        await this.rerunOnce(window, rerun)
        if (this.options.kinds.handle !== 'off') await settleHandles(scratch)
      })
      if (heap) scratch.externalGrowth = endHeapWindow(heap).externalGrowth
      scratch.endMark = scratch.startMark && mark()
    } catch (error) {
      if (heap) stopHeapWindow(heap)
      this.dropScratch(scratch)
      notes.push(
        `not confirmed: re-running the test to tell a first use from a leak failed (${(error as Error)?.message ?? error}), so what its first run left is not reported: ${[...first.map((f) => describeFound(f, this.host.root)), ...(memorySuspect ? ['retained memory above the budget'] : [])].join('; ')}`,
      )
      return undefined
    } finally {
      watched()
    }
    return { before, scratch }
  }

  /** The findings of the first run that stand after its re-run (rules.ts, `afterRerun`). */
  private standing(window: Window, first: Found[], { before, scratch }: ScratchRun, notes: string[]): Found[] {
    const now = new Set(this.collect(window).map(findingKey))
    const again = new Set(this.collect(scratch).map(findingKey))
    return first.filter((f) => {
      const key = findingKey(f)
      // A watched object is the user's own question: it must be gone, made again or not.
      if (f.kind === 'watched') return now.has(key)
      const outcome = afterRerun({
        atJudging: true,
        beforeRerun: before.has(key),
        afterRerun: now.has(key),
        madeAgain: again.has(key),
      })
      if (outcome === 'first-use') {
        notes.push(
          `not a leak: ${describeFound(f, this.host.root)} was made on this test's first run and not again when the test ran again (a first-use singleton)`,
        )
      }
      return outcome === 'leak'
    })
  }

  /**
   * Re-runs a memory suspect `repetitions` times, a full GC after each (rules.ts,
   * `retainedAcrossRuns`), then once more between two heap snapshots to explain it.
   */
  private async confirmRetained(
    window: Window,
    rerun: Rerun,
    threshold: number,
    sites: AllocationSite[],
    notes: string[],
  ): Promise<RetainedFinding | undefined> {
    const n = this.options.repetitions
    const spyCallsBefore = spyCalls(spiesOn(this.scope))
    // Settled: what the re-runs of judging left to die over a few GCs (their windows' weak
    // references) would otherwise die during these runs and hide part of their growth.
    let previous = this.settledLive()
    const growth: number[] = []
    let outcome = 'undecided' as ReturnType<typeof retainedAcrossRuns>
    try {
      await this.replaying(window, window, async () => {
        while (outcome === 'undecided') {
          await this.rerunOnce(window, rerun)
          const now = await this.liveAfterFullGc()
          growth.push(now - previous)
          previous = now
          outcome = retainedAcrossRuns(growth, threshold, n)
        }
      })
    } catch (error) {
      notes.push(
        `retained memory above the budget, not confirmed: re-running the test failed (${(error as Error)?.message ?? error})`,
      )
      return undefined
    } finally {
      this.lastLive = previous
    }
    trace('confirmed', window.info, { growth, threshold, outcome })
    if (outcome !== 'leak') return undefined
    // The total is what every run keeps at the per-run rate.
    const { perRun, minPerRun, runsThatGrew } = perRunGrowth(growth, threshold)
    const budget = this.budgetOf(window).bytes
    const finding: RetainedFinding = {
      kind: 'retained',
      bytes: perRun * growth.length,
      runs: growth.length,
      perRun,
      minPerRun,
      budget,
      sites,
      confirmed: true,
    }
    const spies = spiesThatGrew(this.scope, spyCallsBefore)
    if (spies.length > 0) finding.spies = spies
    if (this.options.explain) {
      const { newSelfSize, ...retainedBy } = await this.replaying(window, window, () =>
        explainRetained(this.snapshotPlace(window), () => this.rerunOnce(window, rerun)),
      )
      this.afterAnalysis()
      if (
        'groups' in retainedBy &&
        newSelfSize !== undefined &&
        !keptBetweenSnapshots(retainedBy.groups, newSelfSize, threshold)
      ) {
        notes.push(
          `retained memory grew in ${runsThatGrew} re-runs (${formatBytes(perRun)} per run), but the run between the heap snapshots kept ${formatBytes(newSelfSize)}: not confirmed`,
        )
        return undefined
      }
      finding.retainedBy = retainedBy
    }
    return finding
  }

  /**
   * What holds each object that stands alive (watched objects, detached trees' roots), from one heap
   * snapshot. An object collected before the snapshot was not held for good: it is dropped, with a note.
   */
  private async explained(window: Window, findings: Finding[], notes: string[]): Promise<Finding[]> {
    return (await this.explainedTogether([{ window, findings, notes }]))[0]!
  }

  /** The same for several tests' findings, from one snapshot (named after the first test). */
  private async explainedTogether(
    tests: Array<{ window: Window; findings: Finding[]; notes: string[] }>,
  ): Promise<Finding[][]> {
    const alive = tests.flatMap(({ findings, notes }) =>
      findings.filter((f) => this.probes.objectOf.has(f)).map((f) => ({ f, notes })),
    )
    if (alive.length === 0 || !this.options.explain) return tests.map((t) => t.findings)
    const refs = alive.map(({ f }) => this.probes.objectOf.get(f)!)
    const first = tests.find((t) => t.findings.some((f) => this.probes.objectOf.has(f)))!.window
    const holders = await this.checking(first, 'taking a heap snapshot to explain what holds it', () =>
      explainAlive(this.snapshotPlace(first), refs),
    )
    this.afterAnalysis()
    const gone = new Set<Finding>()
    alive.forEach(({ f, notes }, i) => {
      const holder = holders[i]
      if (holder === undefined) {
        gone.add(f)
        notes.push(
          `not a leak: ${describeFound(f, this.host.root)} was collected before the heap snapshot that would show what holds it (or only weak references held it): nothing kept it for good`,
        )
      } else if (f.kind === 'dom' && 'paths' in holder && holder.paths.some((p) => heldByQueryCache(p.steps))) {
        gone.add(f)
        notes.push(
          `not a leak: ${describeFound(f, this.host.root)} is held only by the DOM implementation's selector cache (the results of a recent query), which the next queries replace`,
        )
      } else (f as { retainedBy?: unknown }).retainedBy = holder
    })
    return tests.map((t) => t.findings.filter((f) => !gone.has(f)))
  }

  /** The analysis may have run here: its garbage is not the next reading's. */
  private afterAnalysis(): void {
    fullGc()
    this.lastLive = heapAndExternal()
  }

  /**
   * Reopens a judged window for a re-run, recorded in `into` (a scratch window, or the window itself
   * with recording off: then probes record nothing, the first run's findings stand), with the
   * test's leaks.budget()/watch() calls acting on `into`.
   */
  private async replaying<T>(window: Window, into: Window, run: () => Promise<T>): Promise<T> {
    if (into === window) window.recording = false
    openWindow(into)
    setCurrentWindow(into)
    try {
      return await run()
    } finally {
      closeWindow(into)
      if (into !== window) for (const p of this.probes.list) p.closed?.(into)
      setCurrentWindow(undefined)
    }
  }

  /** Runs an expensive step of a test's check with a note of it, for the report if the worker dies in it. */
  private checking<T>(window: Window, step: string, work: () => Promise<T>): Promise<T> {
    return whileChecking({ file: this.relativeFile(window), fullName: window.info.fullName, step }, work)
  }

  /**
   * What a test window leaves is that test's verdict alone: the file window adopts the test's
   * globals (its handles and listeners were recorded against the test window already).
   */
  private closeTestWindow(window: Window): void {
    closeWindow(window)
    for (const p of this.probes.list) p.closed?.(window)
    setCurrentWindow(undefined)
    const file = this.fileWindow
    if (file) for (const key of snapshotGlobals(this.scope).keys()) file.globals.set(key, undefined)
  }

  /** What the probes find of `window` now: all, the exact ones, or those only a full GC makes sure of. */
  private collect(window: Window, which: 'all' | 'exact' | 'after-gc' = 'all'): Found[] {
    return this.probes.list.flatMap((p) =>
      which === 'all' || (which === 'after-gc') === p.afterGc ? p.collect(window) : [],
    )
  }

  private drop(window: Window): void {
    for (const p of this.probes.list) p.drop(window)
  }

  /** The test fails already for what it left: it is not re-run for memory as well. */
  private failsAlready(window: Window, findings: Finding[]): boolean {
    return this.verdict(window, findings, []).state === 'leak'
  }

  /** A re-run's scratch window is done with: its records and its marks go. */
  private dropScratch(scratch: Window): void {
    this.drop(scratch)
    this.releaseMarks(scratch)
  }

  /** One re-run of the window's test, kept from reaching the run (`quietly`) and bounded in time. */
  private rerunOnce(window: Window, rerun: Rerun): Promise<void> {
    return quietly(() => rerun(rerunBodyLimit(window.duration ?? 0)), this.scope, rerunLimit(window))
  }

  private snapshotPlace(window: Window): SnapshotPlace {
    return {
      root: this.host.root,
      keep: this.options.keepSnapshots,
      name: `${this.relativeFile(window)} ${window.info.fullName}`,
    }
  }

  private relativeFile(window: Window): string {
    return relative(this.host.root, window.info.file).split(sep).join('/')
  }

  private withSeverity(found: Found[]): Finding[] {
    return found.flatMap((f) => {
      const severity = this.options.kinds[f.kind]
      if (severity === 'off') return []
      const finding = { ...f, severity } as Finding
      const object = this.probes.objectOf.get(f)
      if (object) this.probes.objectOf.set(finding, object)
      return [finding]
    })
  }

  private budgetOf(window: Window): ResolvedBudget {
    return resolveBudget(this.options, {
      file: this.relativeFile(window),
      fullName: window.info.fullName,
      fromTestOptions: window.info.budget,
      fromCall: window.budgetFromCall,
    })
  }

  private verdict(window: Window, found: Finding[], notes: string[]): Verdict {
    const verdict = verdictOf(
      found,
      notes,
      this.options,
      this.baseline.get(testId(this.relativeFile(window), window.info.fullName)),
    )
    this.failedFor.push(...failedAt(verdict))
    return verdict
  }

  /** Whether files' environments are watched once they end (`releaseEnvironment`). */
  watchesEnvironments(): boolean {
    // Without a heap snapshot (`explain: false`) nothing tells a function of the user's that holds
    // the environment from the test framework's own bookkeeping (seen: clean files of fixtures/shards).
    return this.options.kinds.environment !== 'off' && this.options.checkFiles && this.options.explain
  }

  /**
   * After the file's teardown: hands its environment (`global`) to the worker's watcher and judges
   * the earlier files' that must be gone by now (environments.ts). What the file's tests and
   * `verdict`, the file's own, failed for travels with it.
   */
  releaseEnvironment(file: string, global: object, verdict: Verdict): Promise<FileVerdict[]> {
    if (!this.watchesEnvironments()) return Promise.resolve([])
    const failedFor = [...this.failedFor, ...failedAt(verdict)]
    const judge = new EnvironmentJudge(this.options, this.host.root, this.baseline)
    return judge.verdicts(environments.release(file, global, failedFor, judge))
  }
}

/** Where what a verdict fails for (or would, but for the baseline) was made: each error finding's origins. */
function failedAt(verdict: Verdict): SourceLocation[] {
  const failed = verdict.state === 'leak' || verdict.state === 'known'
  return failed ? verdict.findings.filter((f) => f.severity === 'error').flatMap(findingOrigins) : []
}

/**
 * How long a whole re-run may take, beyond the timeouts the host gives its hooks: ten times the
 * test's first run, and at least ten seconds (it may set up and take down a block again).
 */
function rerunLimit(window: Window): number {
  return Math.max(10_000, 10 * (window.duration ?? 0))
}

function singleRunFinding(growth: number, budget: ResolvedBudget): RetainedFinding {
  return {
    kind: 'retained',
    bytes: growth,
    runs: 1,
    perRun: growth,
    minPerRun: growth,
    budget: budget.bytes,
    sites: [],
    confirmed: false,
  }
}

const CONSOLE_METHODS = ['log', 'info', 'warn', 'error', 'debug', 'trace', 'dir', 'table'] as const
const ASYNC_ERRORS = ['uncaughtException', 'unhandledRejection'] as const

/**
 * Runs a re-run so that nothing of it reaches the run. Its console output is not printed again (a
 * console method a test has a spy on stays: the re-run's calls are the test's to record, and a spy
 * it left there grows with them, which is what a leak check must see). What it throws later, on
 * its own (a server's `listen EADDRINUSE` on a fixed port the first run still holds, a rejection
 * no one awaits), is its failure, never an uncaught error of the run. And a re-run that takes far
 * longer than the test's first run (`limitMs`) is given up: it waits for something the tests after
 * it took down.
 */
async function quietly(rerun: () => Promise<void>, scope: object, limitMs: number): Promise<void> {
  // The test's console is its global's: under Jest that is the test file's vm context (Jest's
  // BufferedConsole), not this realm's `console`, so both are silenced.
  const consoles = [
    ...new Set([console, (scope as { console?: Console }).console].filter((c): c is Console => c !== undefined)),
  ]
  const saved = consoles.flatMap((c) => CONSOLE_METHODS.filter((m) => !isMock(c[m])).map((m) => [c, m, c[m]] as const))
  for (const [c, m] of saved) c[m] = () => {}
  let failure: { error: unknown } | undefined
  const onAsyncError = (error: unknown): void => void (failure ??= { error })
  const handlers = ASYNC_ERRORS.map((event) => [event, process.rawListeners(event)] as const)
  for (const [event] of handlers) {
    process.removeAllListeners(event)
    process.on(event, onAsyncError)
  }
  try {
    await withinTime(rerun(), limitMs, `the re-run did not end within ${Math.round(limitMs)} ms`)
    await nextMacrotask()
    if (failure) throw failure.error
  } finally {
    for (const [event, listeners] of handlers) {
      process.removeListener(event, onAsyncError)
      for (const listener of listeners) process.on(event, listener as (...args: unknown[]) => void)
    }
    for (const [c, m, fn] of saved) c[m] = fn as never
  }
}

/** A full GC, and the profiler's samples after it when they are to be read (`liveAllocations` takes the GC). */
async function afterFullGc(
  readSamples: boolean,
  lastReadOf?: Array<Mark | undefined>,
): Promise<LiveAllocations | undefined> {
  // WeakRef targets stay alive until the end of the macrotask that created or read them.
  await nextMacrotask()
  if (readSamples) return liveAllocations(lastReadOf)
  fullGc()
  return undefined
}

/** What the profiler saw the window allocate that is still alive; undefined without samples or marks. */
function sampledIn(window: Window, allocations: LiveAllocations | undefined): number | undefined {
  const { startMark, endMark } = window
  return allocations && startMark && endMark ? allocations.between(startMark, endMark) : undefined
}
