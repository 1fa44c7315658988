import { mkdirSync, mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, relative, resolve, sep } from 'node:path'
import { setImmediate as nextMacrotask } from 'node:timers/promises'
import { resolveBudget, type ResolvedBudget } from './budget.js'
import type { DomFinding, Finding, HandleFinding, Kind, ListenerFinding, RetainedBy, RetainedFinding, Verdict, WatchedFinding } from './findings.js'
import { fullGc, heapAndExternal, minorGc } from './gc.js'
import { setCurrentWindow } from './leaks.js'
import type { ResolvedOptions } from './options.js'
import { collectDetached, collectDomListeners, domFindingKey, domNeedsFullGc, dropDomRecords, enableDomProbe, hasDomRecords, type DetachedGroup, type DomScope } from './probes/dom.js'
import { collectGlobals, snapshotGlobals } from './probes/globals.js'
import { collectHandles, enableHandleProbe, settleHandles } from './probes/handles.js'
import { endHeapWindow, startHeapWindow, stopHeapWindow } from './probes/heap.js'
import { collectListeners, enableListenerProbe } from './probes/listeners.js'
import { isMock, spiesOn, spiesThatGrew, spyCalls } from './probes/spies.js'
import { closeWindow, openWindow, type WindowRef } from './probes/window-ref.js'
import { cancelSampling, startSampling, stopSampling } from './profiler.js'
import { applyIgnoreRules } from './ignore.js'
import { againstBaseline, loadBaseline, type BaselineEntry } from './report/baseline.js'
import { whileChecking } from './report/interrupted.js'
import { testId } from './report/model.js'
import { heapObjectId, writeHeapSnapshot } from './snapshot/capture.js'
import { explainLeak, explainObjects } from './snapshot/explain.js'
import { blameFrame, directOwner, parseStack } from './stack.js'
import { measureFromHere, Window, type TestInfo } from './window.js'

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

export interface DetectorHost {
  /** Project root: file names in findings and budget globs are relative to it. */
  root: string
  /** Globals the host framework defines while a test runs (its own bookkeeping). */
  isHostGlobal?: (name: string) => boolean
  /** The global object tests run against, when it is not this realm's `globalThis` (Jest's vm context). */
  global?: object
}

/** Re-runs a test's window in place: its beforeEach hooks, body and afterEach hooks. */
export type Rerun = () => Promise<void>

/**
 * The engine's one entry point for adapters: open a window when a test (or file) starts, end it
 * when it is over, and get a verdict. Everything about what counts as a leak is decided here.
 */
export class Detector {
  /** Live heap + external memory after the most recent full GC. */
  private lastLive: number | undefined
  private fileWindow: Window | undefined
  private readonly concurrentTests: string[] = []
  private readonly scope: object
  /** Known leaks by test id: they are reported, not failed, until they grow. */
  private readonly baseline: Map<string, BaselineEntry>
  /** The DOM tests run against (jsdom, happy-dom), when there is one. */
  private readonly dom: DomScope | undefined

  constructor(
    readonly options: ResolvedOptions,
    private readonly host: DetectorHost,
  ) {
    this.scope = host.global ?? globalThis
    this.baseline = loadBaseline(host.root, options.baseline)
    if (options.kinds.handle !== 'off') enableHandleProbe()
    if (options.kinds.listener !== 'off') enableListenerProbe()
    const { listener, dom } = options.kinds
    this.dom = listener !== 'off' || dom !== 'off' ? enableDomProbe(this.scope, { listeners: listener !== 'off', nodes: dom !== 'off' }) : undefined
  }

  /** Opens a file's window: everything until `endFile`, minus what its tests' windows record. */
  beginFile(file: string): Window {
    const window = new Window('file', { file, fullName: '' }, snapshotGlobals(this.scope))
    this.fileWindow = window
    openWindow(window)
    return window
  }

  /**
   * A test that runs concurrently with others is not judged alone: the windows of concurrent tests
   * overlap, so what one leaves cannot be told from what another does. Its file's check covers it.
   */
  judgeWithFile(fullName: string): void {
    this.concurrentTests.push(fullName)
  }

  /** Judges a file after its afterAll hooks: handles, listeners and globals only (see README, "Limits"). */
  endFile(window: Window): Verdict {
    closeWindow(window)
    if (!this.options.checkFiles) {
      dropDomRecords(window)
      return { state: 'skipped', findings: [], notes: [] }
    }
    // DOM listeners on the window, the document or nodes in it; no GC here (see README, "Limits").
    const dom = this.dom && this.options.kinds.listener !== 'off' ? this.withSeverity('listener', collectDomListeners(window, this.dom)) : []
    dropDomRecords(window)
    const verdict = this.verdict(window, [...this.exactFindings(window), ...dom], [])
    const concurrent = this.concurrentTests
    if (verdict.state === 'leak' && concurrent.length > 0) {
      const names = concurrent.slice(0, 5).map((n) => `"${n}"`).join(', ') + (concurrent.length > 5 ? ` and ${concurrent.length - 5} more` : '')
      verdict.notes.push(`${concurrent.length} concurrent ${concurrent.length === 1 ? 'test is' : 'tests are'} judged with this file, not one by one (their windows overlap, so what one leaves cannot be told from what another does): ${names}`)
    }
    return verdict
  }

  /**
   * What a test window leaves is that test's verdict alone: the file window adopts the test's
   * globals (its handles and listeners were recorded against the test window already).
   */
  private closeTestWindow(window: Window): void {
    closeWindow(window)
    setCurrentWindow(undefined)
    const file = this.fileWindow
    if (file) for (const key of Reflect.ownKeys(this.scope)) file.globals.add(key)
  }

  begin(info: TestInfo): Window {
    const window = new Window('test', info, snapshotGlobals(this.scope))
    openWindow(window)
    setCurrentWindow(window)
    if (this.options.kinds.retained !== 'off') {
      // The baseline for full-GC comparisons: taken at the first test, after the test file's
      // imports, so that loading modules is not the first test's growth.
      if (this.lastLive === undefined) {
        fullGc()
        this.lastLive = heapAndExternal()
      }
      window.heap = startHeapWindow()
      if (window.noRerun !== undefined) measureFromHere(window)
    }
    return window
  }

  /** Closes a window without judging it: the test failed on its own, and its failure stands alone. */
  discard(window: Window): void {
    this.closeTestWindow(window)
    if (window.heap) stopHeapWindow(window.heap)
    // Drop the window's records so nothing it made is carried into another verdict.
    collectHandles(window)
    collectListeners(window)
    dropDomRecords(window)
  }

  /**
   * Ends a test's window and judges it. Handles, listeners, globals and watched objects are exact.
   * Retained memory is checked cheaply first; only a suspect gets full GCs and is re-run with
   * `rerun` to confirm it grows every time.
   */
  async end(window: Window, rerun?: Rerun): Promise<Verdict> {
    if (window.ignored !== undefined) {
      this.discard(window)
      return { state: 'skipped', findings: [], notes: [`leak check skipped: ${window.ignored}`] }
    }
    const notes: string[] = []
    if (this.options.kinds.handle !== 'off') await settleHandles(window)
    let findings = this.exactFindings(window)
    this.closeTestWindow(window)
    const heap = window.heap ? endHeapWindow(window.heap) : undefined
    if (rerun && window.noRerun === undefined) findings = await this.confirmDependencyHandles(window, rerun, findings, notes)

    let live: number | undefined
    const liveAfterFullGc = (): number => (live ??= (fullGc(), heapAndExternal()))

    const watching = window.watched.length > 0 && this.options.kinds.watched !== 'off'
    const domRecords = this.dom !== undefined && hasDomRecords(window)
    if (watching || domRecords) {
      // WeakRef targets stay alive until the end of the macrotask that created or read them.
      await nextMacrotask()
      let full = watching
      if (!full) {
        // Nodes a test made and dropped are young: a scavenge frees most of them. Only a node still
        // alive out of the document needs the full GC to tell garbage from a leak.
        minorGc()
        full = domNeedsFullGc(window)
        if (full) await nextMacrotask()
      }
      if (full) liveAfterFullGc()
    }
    const alive = watching ? window.watched.filter((w) => w.ref.deref() !== undefined) : []
    const watched = alive.map((w): WatchedFinding => ({ kind: 'watched', label: w.label, watchedAt: blameFrame(parseStack(w.trace.stack)) }))
    let dom = this.dom && domRecords ? this.domFindings(window, this.dom) : undefined
    if (dom && (dom.listeners.length > 0 || dom.detached.length > 0)) {
      // A library may add one listener per document, or keep one detached node, the first time it
      // is used: a leak adds again on every run. One re-run tells them apart.
      if (window.noRerun !== undefined || !rerun) notes.push(`DOM findings judged on one run, not re-run: ${window.noRerun ?? 'this host cannot re-run the test'}`)
      else {
        dom = await this.checking(window, 're-running it to confirm DOM findings', () => this.confirmDom(window, rerun, dom!, notes))
        live = undefined
      }
    }
    const detached = dom?.detached ?? []
    const explainThese = [...(watched.length > 0 ? alive.map((w) => w.ref) : []), ...detached.map((d) => d.root)]
    if (explainThese.length > 0 && this.options.explain) {
      const holders = await this.checking(window, 'taking a heap snapshot to explain what holds it', () => this.explainAlive(window, explainThese))
      watched.forEach((finding, i) => (finding.retainedBy = holders[i]))
      detached.forEach((group, i) => (group.finding.retainedBy = holders[watched.length + i]))
    }
    findings.push(...this.withSeverity('watched', watched))
    if (dom) findings.push(...this.withSeverity('listener', dom.listeners), ...this.withSeverity('dom', detached.map((d) => d.finding)))

    // A test that fails already for what it left (a server, a listener) is not re-run for memory as
    // well: those re-runs cost seconds and the leak is reported anyway (unless the baseline knows it).
    const failsAlready = this.verdict(window, findings, []).state === 'leak'
    if (!failsAlready && heap && this.options.kinds.retained !== 'off') {
      const budget = this.budgetOf(window)
      const threshold = Math.max(budget.bytes, NOISE_FLOOR)
      if (heap.growthBound === undefined || heap.growthBound > threshold) {
        const before = window.liveAtNoRerun ?? this.lastLive
        const now = liveAfterFullGc()
        // Live memory below the baseline means things alive at the baseline died during the window
        // (under Jest's --runInBand, the previous test file's objects, released while this one runs):
        // the difference says nothing then, and only re-runs can tell.
        const suspect = before === undefined || now - before > threshold || now < before
        if (suspect && window.noRerun !== undefined) {
          const growth = before === undefined ? 0 : now - before
          if (growth > Math.max(threshold, SINGLE_RUN_FLOOR)) findings.push(...this.withSeverity('retained', [singleRunFinding(growth, budget)]))
          notes.push(`judged on one run, not re-run: ${window.noRerun}`)
        } else if (suspect && rerun) {
          const confirmed = await this.checking(window, 're-running it to confirm a retained-memory leak, then taking heap snapshots', () => this.confirm(window, rerun, budget, notes))
          if (confirmed) findings.push(...this.withSeverity('retained', [confirmed]))
          return this.verdict(window, findings, notes)
        } else if (suspect) {
          notes.push('retained memory above the budget, but this host cannot re-run the test to confirm it')
        }
      }
    }
    if (live !== undefined) this.lastLive = live
    return this.verdict(window, findings, notes)
  }

  /**
   * Re-runs the window `repetitions` times, a full GC after each. A leak grows by more than the
   * budget run after run; a lazy singleton, a filled cache or a first import grows once and stops.
   */
  private async confirm(window: Window, rerun: Rerun, budget: ResolvedBudget, notes: string[]): Promise<RetainedFinding | undefined> {
    const threshold = Math.max(budget.bytes, NOISE_FLOOR)
    const n = this.options.repetitions
    const spyCallsBefore = spyCalls(spiesOn(this.scope))
    let previous = heapAndExternal()
    const growth: number[] = []
    await startSampling()
    try {
      await this.replaying(window, async () => {
        for (let i = 0; i < n; i++) {
          await quietly(rerun, this.scope)
          fullGc()
          const now = heapAndExternal()
          growth.push(now - previous)
          previous = now
          // Once a majority of the runs cannot grow any more, the test is cleared: stop paying for re-runs.
          if (growth.filter((g) => g <= threshold).length >= n - majority(n) + 1) break
        }
      })
    } catch (error) {
      await cancelSampling()
      notes.push(`retained memory above the budget, not confirmed: re-running the test failed (${(error as Error)?.message ?? error})`)
      return undefined
    } finally {
      this.lastLive = previous
    }
    // A majority, not every run: other work in the process (a reporter in Jest's --runInBand, the
    // framework's own bookkeeping) can free a few hundred KB during one run and hide its growth.
    const bytes = growth.reduce((a, b) => a + b, 0)
    const leaking = growth.filter((g) => g > threshold).length >= majority(n) && bytes > n * threshold
    if (!leaking) {
      await cancelSampling()
      return undefined
    }
    const finding: RetainedFinding = {
      kind: 'retained',
      bytes,
      runs: growth.length,
      perRun: Math.round(bytes / growth.length),
      minPerRun: Math.min(...growth),
      budget: budget.bytes,
      sites: await stopSampling(this.options.allocationSites),
      confirmed: true,
    }
    const spies = spiesThatGrew(this.scope, spyCallsBefore)
    if (spies.length > 0) finding.spies = spies
    if (this.options.explain) finding.retainedBy = await this.replaying(window, () => this.explainRetained(window, rerun))
    return finding
  }

  /** Runs an expensive step of a test's check with a note of it, for the report if the worker dies in it. */
  private checking<T>(window: Window, step: string, work: () => Promise<T>): Promise<T> {
    return whileChecking({ file: this.relativeFile(window), fullName: window.info.fullName, step }, work)
  }

  /**
   * Re-runs the test once per scratch window, each run recorded in its own: the first run's records
   * stand, and the caller compares what a re-run made again.
   */
  private async rerunIn(window: Window, rerun: Rerun, scratches: WindowRef[]): Promise<void> {
    await this.replaying(window, async () => {
      for (const scratch of scratches) {
        openWindow(scratch)
        try {
          await quietly(rerun, this.scope)
        } finally {
          closeWindow(scratch)
        }
      }
    })
  }

  /**
   * Reopens a judged window for re-runs: probes record nothing (the first run's handles and
   * listeners are the findings, and re-runs must not show up in the file's verdict either), and
   * the test's leaks.budget()/watch() calls act on this window again.
   */
  private async replaying<T>(window: Window, run: () => Promise<T>): Promise<T> {
    window.recording = false
    openWindow(window)
    setCurrentWindow(window)
    try {
      return await run()
    } finally {
      closeWindow(window)
      setCurrentWindow(undefined)
    }
  }

  /**
   * One more run of a confirmed leak between two heap snapshots: the objects new in the second
   * are the leak, and the shortest strong path from a GC root to them is what holds it.
   */
  private async explainRetained(window: Window, rerun: Rerun): Promise<RetainedBy> {
    return this.withSnapshotFiles(window, async (files): Promise<RetainedBy> => {
      await writeHeapSnapshot(files.before)
      await quietly(rerun, this.scope)
      await writeHeapSnapshot(files.after)
      const { text, groups, paths } = await explainLeak({ before: files.before, after: files.after, root: this.host.root, parseIn: ANALYSIS_PROCESS })
      return { text, groups, paths, ...(files.kept && { snapshots: { before: files.before, after: files.after } }) }
    }, (unavailable) => ({ unavailable }))
  }

  /** The DOM part of a window's verdict: its listeners still registered, and its detached trees. */
  private domFindings(window: WindowRef, dom: DomScope): { listeners: ListenerFinding[]; detached: DetachedGroup[] } {
    const { kinds } = this.options
    const listeners = kinds.listener !== 'off' ? collectDomListeners(window, dom) : []
    const detached = kinds.dom !== 'off' ? collectDetached(window) : []
    dropDomRecords(window)
    return { listeners, detached }
  }

  /**
   * Runs the window twice more, each run recording into a scratch window of its own. A finding
   * stands if the first re-run left the same one (same target and event, or same root, at the same
   * line) and it is still there after the second: a leak keeps what every run leaves, while a
   * library's once-per-document listener is not added again and a DOM implementation's cache
   * (jsdom's selector engine keeps the first or the latest query's elements) holds one run's nodes only.
   */
  private async confirmDom(window: Window, rerun: Rerun, first: { listeners: ListenerFinding[]; detached: DetachedGroup[] }, notes: string[]): Promise<{ listeners: ListenerFinding[]; detached: DetachedGroup[] }> {
    const scratches: WindowRef[] = [{ kind: 'test', recording: true }, { kind: 'test', recording: true }]
    try {
      await this.rerunIn(window, rerun, scratches)
    } catch (error) {
      notes.push(`DOM findings not confirmed: re-running the test failed (${(error as Error)?.message ?? error}); judged on one run`)
      return first
    } finally {
      for (const scratch of scratches) {
        collectHandles(scratch)
        collectListeners(scratch)
      }
    }
    await nextMacrotask()
    fullGc()
    const again = this.domFindings(scratches[0]!, this.dom!)
    dropDomRecords(scratches[1]!)
    const keys = new Set([...again.listeners.map(domFindingKey), ...again.detached.map((d) => domFindingKey(d.finding))])
    return {
      listeners: first.listeners.filter((l) => keys.has(domFindingKey(l))),
      detached: first.detached.filter((d) => keys.has(domFindingKey(d.finding))),
    }
  }

  /**
   * A handle a dependency made (the code that created it is in node_modules) may be the library's
   * own singleton, started lazily by whichever test uses it first and kept for the process (a
   * module-level, self-clearing housekeeping timer), or a handle made on every call that nobody
   * closes. After one run they look the same; one re-run tells them apart: a per-call handle is
   * made again, a singleton is not. Handles the test's own code made need no re-run.
   */
  private async confirmDependencyHandles(window: Window, rerun: Rerun, findings: Finding[], notes: string[]): Promise<Finding[]> {
    const fromDependency = (f: Finding): boolean => f.kind === 'handle' && directOwner(parseStack(f.stack)) === 'dependency'
    if (!findings.some(fromDependency)) return findings
    const scratch: WindowRef = { kind: 'test', recording: true }
    let again: HandleFinding[]
    try {
      await this.checking(window, 're-running it to confirm handles a dependency made', () => this.rerunIn(window, rerun, [scratch]))
    } catch (error) {
      notes.push(`handles made by a dependency not confirmed: re-running the test failed (${(error as Error)?.message ?? error}); judged on one run`)
      return findings
    } finally {
      again = collectHandles(scratch)
      collectListeners(scratch)
      if (this.dom) dropDomRecords(scratch)
    }
    const key = (f: HandleFinding): string => `${f.type} ${f.createdAt ? `${f.createdAt.file}:${f.createdAt.line}:${f.createdAt.column}` : ''}`
    const madeAgain = new Set(again.map(key))
    return findings.filter((f) => {
      if (!fromDependency(f) || madeAgain.has(key(f as HandleFinding))) return true
      notes.push(`not a leak: ${(f as HandleFinding).description} made by a dependency on this test's first use, and not again when the test was re-run (a library's own long-lived handle)`)
      return false
    })
  }

  /** What holds each object that survived (watched objects, detached trees' roots): one snapshot, the path from a GC root to each. */
  private async explainAlive(window: Window, refs: Array<WeakRef<object>>): Promise<RetainedBy[]> {
    return this.withSnapshotFiles(window, async (files): Promise<RetainedBy[]> => {
      // Reading a WeakRef keeps its target alive to the end of the macrotask, from a root of its
      // own: that root would be the shortest path.
      await nextMacrotask()
      await writeHeapSnapshot(files.after)
      // V8 gives objects their ids when a snapshot is taken; they keep them in later ones.
      const ids: number[] = []
      for (const ref of refs) {
        const object = ref.deref()
        ids.push(object ? await heapObjectId(object) : -1)
      }
      const { objects, texts } = await explainObjects({ snapshot: files.after, ids, root: this.host.root, parseIn: ANALYSIS_PROCESS })
      return objects.map((o, i) => ({
        text: texts[i]!,
        groups: [],
        paths: 'path' in o ? [{ group: 'alive after the test', id: o.id, distance: o.distance, steps: o.path }] : [],
        ...(files.kept && { snapshots: { after: files.after } }),
      }))
    }, (unavailable) => refs.map(() => ({ unavailable })))
  }

  /**
   * Runs `use` with the snapshot files of a window. A snapshot that cannot be taken or read (no room
   * on disk, a folder that cannot be made, the inspector refusing) leaves the finding without its
   * "retained by" section: `unavailable` gets the reason, and the finding is reported as it is.
   */
  private async withSnapshotFiles<T>(window: Window, use: (files: SnapshotFiles) => Promise<T>, unavailable: (reason: string) => T): Promise<T> {
    let files: SnapshotFiles | undefined
    try {
      files = this.snapshotFiles(window)
      return await use(files)
    } catch (error) {
      return unavailable(`the heap snapshot could not be taken or read: ${(error as Error)?.message ?? error}`)
    } finally {
      if (files && !files.kept) rmSync(files.dir, { recursive: true, force: true })
      // The analysis may have run here: its garbage is not the next test's baseline.
      fullGc()
      this.lastLive = heapAndExternal()
    }
  }

  /** Kept snapshots are named after the test, in the `keepSnapshots` folder; others go to a temporary folder. */
  private snapshotFiles(window: Window): SnapshotFiles {
    const keep = this.options.keepSnapshots
    const dir = keep ? resolve(this.host.root, keep) : mkdtempSync(join(tmpdir(), 'leakproof-'))
    mkdirSync(dir, { recursive: true })
    const name = keep ? fileNameOf(`${this.relativeFile(window)} ${window.info.fullName}`) : 'leak'
    return { dir, before: join(dir, `${name}.before.heapsnapshot`), after: join(dir, `${name}.after.heapsnapshot`), kept: keep !== false }
  }

  private relativeFile(window: Window): string {
    return relative(this.host.root, window.info.file).split(sep).join('/')
  }

  private exactFindings(window: Window): Finding[] {
    const { kinds } = this.options
    return [
      ...(kinds.handle !== 'off' ? this.withSeverity('handle', collectHandles(window)) : []),
      ...(kinds.listener !== 'off' ? this.withSeverity('listener', collectListeners(window)) : []),
      ...(kinds.global !== 'off' ? this.withSeverity('global', collectGlobals(this.scope, window.globals, this.host.isHostGlobal ?? (() => false))) : []),
    ]
  }

  private withSeverity<F extends Omit<Finding, 'severity'>>(kind: Kind, findings: F[]): Finding[] {
    const severity = this.options.kinds[kind]
    if (severity === 'off') return []
    return findings.map((f) => ({ ...f, severity }) as unknown as Finding)
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
    const { kept: findings, ignored } = applyIgnoreRules(found, this.options.ignore)
    const verdict: Verdict = { state: findings.some((f) => f.severity === 'error') ? 'leak' : 'clean', findings, notes, ...(ignored.length > 0 && { ignored }) }
    return againstBaseline(verdict, this.baseline.get(testId(this.relativeFile(window), window.info.fullName)), this.options.baselineTolerance)
  }
}

interface SnapshotFiles {
  dir: string
  before: string
  after: string
  kept: boolean
}

/**
 * A test worker never parses snapshots itself, whatever room it has: the parse allocates hundreds
 * of MB of typed arrays, whose backing stores V8 frees on a background thread after the GC, so the
 * worker's external memory would still be falling while the next tests are measured and hide
 * their growth (seen: a 2 MB-per-run leak measured at +1 MB, a lazy singleton not suspected).
 */
const ANALYSIS_PROCESS = 'child-process'

/** More than half of `n` runs. */
function majority(n: number): number {
  return Math.floor(n / 2) + 1
}

/** A file name from a test's file and name: letters, digits, `.`, `_` and `-`, at most 120 characters. */
function fileNameOf(text: string): string {
  return text.replace(/[^A-Za-z0-9._-]+/g, '-').replace(/^-+|-+$/g, '').slice(0, 120)
}

function singleRunFinding(growth: number, budget: ResolvedBudget): RetainedFinding {
  return { kind: 'retained', bytes: growth, runs: 1, perRun: growth, minPerRun: growth, budget: budget.bytes, sites: [], confirmed: false }
}

const CONSOLE_METHODS = ['log', 'info', 'warn', 'error', 'debug', 'trace', 'dir', 'table'] as const

/**
 * Re-runs repeat work the person already saw: their console output is not printed again. A console
 * method a test has a spy on stays: the re-run's calls are the test's to record (and a spy it left
 * there grows with them, which is what a leak check must see).
 */
async function quietly(rerun: Rerun, scope: object): Promise<void> {
  // The test's console is its global's: under Jest that is the test file's vm context (Jest's
  // BufferedConsole), not this realm's `console`, so both are silenced.
  const consoles = [...new Set([console, (scope as { console?: Console }).console].filter((c): c is Console => c !== undefined))]
  const saved = consoles.flatMap((c) => CONSOLE_METHODS.filter((m) => !isMock(c[m])).map((m) => [c, m, c[m]] as const))
  for (const [c, m] of saved) c[m] = () => {}
  try {
    await rerun()
  } finally {
    for (const [c, m, fn] of saved) c[m] = fn as never
  }
}
