import { relative, sep } from 'node:path'
import { setImmediate as nextMacrotask } from 'node:timers/promises'
import { resolveBudget, type ResolvedBudget } from './budget.js'
import type { Finding, Kind, RetainedFinding, Verdict, WatchedFinding } from './findings.js'
import { fullGc, heapAndExternal } from './gc.js'
import { setCurrentWindow } from './leaks.js'
import type { ResolvedOptions } from './options.js'
import { collectGlobals, snapshotGlobals } from './probes/globals.js'
import { collectHandles, enableHandleProbe } from './probes/handles.js'
import { endHeapWindow, startHeapWindow, stopHeapWindow } from './probes/heap.js'
import { collectListeners, enableListenerProbe } from './probes/listeners.js'
import { closeWindow, openWindow } from './probes/window-ref.js'
import { cancelSampling, startSampling, stopSampling } from './profiler.js'
import { blameFrame, parseStack } from './stack.js'
import { Window, type TestInfo } from './window.js'

/**
 * Growth below this is not judged: V8 allocates code, feedback vectors and the host's own
 * bookkeeping in amounts of a few KB per test, which no re-run would tell from a leak reliably.
 */
export const NOISE_FLOOR = 64 * 1024

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
  private readonly scope: object

  constructor(
    readonly options: ResolvedOptions,
    private readonly host: DetectorHost,
  ) {
    this.scope = host.global ?? globalThis
    if (options.kinds.handle !== 'off') enableHandleProbe()
    if (options.kinds.listener !== 'off') enableListenerProbe()
  }

  /** Opens a file's window: everything until `endFile`, minus what its tests' windows record. */
  beginFile(file: string): Window {
    const window = new Window('file', { file, fullName: '' }, snapshotGlobals(this.scope))
    this.fileWindow = window
    openWindow(window)
    return window
  }

  /** Judges a file after its afterAll hooks: handles, listeners and globals only (see README, "Limits"). */
  endFile(window: Window): Verdict {
    closeWindow(window)
    if (!this.options.checkFiles) return { state: 'skipped', findings: [], notes: [] }
    return this.verdict(this.exactFindings(window), [])
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
    const findings = this.exactFindings(window)
    this.closeTestWindow(window)
    const heap = window.heap ? endHeapWindow(window.heap) : undefined

    let live: number | undefined
    const liveAfterFullGc = (): number => (live ??= (fullGc(), heapAndExternal()))

    if (window.watched.length > 0 && this.options.kinds.watched !== 'off') {
      // WeakRef targets stay alive until the end of the macrotask that created or read them.
      await nextMacrotask()
      liveAfterFullGc()
      findings.push(...this.withSeverity('watched', window.watched.filter((w) => w.ref.deref() !== undefined).map((w): WatchedFinding => ({
        kind: 'watched',
        label: w.label,
        watchedAt: blameFrame(parseStack(w.trace.stack)),
      }))))
    }

    if (heap && this.options.kinds.retained !== 'off') {
      const budget = this.budgetOf(window)
      const threshold = Math.max(budget.bytes, NOISE_FLOOR)
      if (heap.growthBound === undefined || heap.growthBound > threshold) {
        const before = this.lastLive
        const now = liveAfterFullGc()
        const suspect = before === undefined || now - before > threshold
        if (suspect && window.noRerun !== undefined) {
          const growth = before === undefined ? 0 : now - before
          if (growth > threshold) findings.push(...this.withSeverity('retained', [singleRunFinding(growth, budget)]))
          notes.push(`judged on one run, not re-run: ${window.noRerun}`)
        } else if (suspect && rerun) {
          const confirmed = await this.confirm(window, rerun, budget, notes)
          if (confirmed) findings.push(...this.withSeverity('retained', [confirmed]))
          return this.verdict(findings, notes)
        } else if (suspect) {
          notes.push('retained memory above the budget, but this host cannot re-run the test to confirm it')
        }
      }
    }
    if (live !== undefined) this.lastLive = live
    return this.verdict(findings, notes)
  }

  /**
   * Re-runs the window `repetitions` times, a full GC after each. A leak grows by more than the
   * budget on every run; a lazy singleton, a filled cache or a first import grows once and stops.
   */
  private async confirm(window: Window, rerun: Rerun, budget: ResolvedBudget, notes: string[]): Promise<RetainedFinding | undefined> {
    const threshold = Math.max(budget.bytes, NOISE_FLOOR)
    const n = this.options.repetitions
    // Reopen the window without recording: the first run's handles and listeners are the findings,
    // and the re-runs must not show up in the file's verdict either.
    window.recording = false
    openWindow(window)
    // The test calls leaks.budget()/watch() again on every run: they act on this window.
    setCurrentWindow(window)
    let previous = heapAndExternal()
    const growth: number[] = []
    await startSampling()
    try {
      for (let i = 0; i < n; i++) {
        await quietly(rerun)
        fullGc()
        const now = heapAndExternal()
        growth.push(now - previous)
        previous = now
        // One run that did not grow is enough to clear the test: stop paying for re-runs.
        if (growth[i]! <= threshold) break
      }
    } catch (error) {
      await cancelSampling()
      notes.push(`retained memory above the budget, not confirmed: re-running the test failed (${(error as Error)?.message ?? error})`)
      return undefined
    } finally {
      closeWindow(window)
      setCurrentWindow(undefined)
      this.lastLive = previous
    }
    const leaking = growth.length === n && growth.every((g) => g > threshold)
    if (!leaking) {
      await cancelSampling()
      return undefined
    }
    const bytes = growth.reduce((a, b) => a + b, 0)
    return {
      kind: 'retained',
      bytes,
      runs: n,
      perRun: Math.round(bytes / n),
      minPerRun: Math.min(...growth),
      budget: budget.bytes,
      sites: await stopSampling(this.options.allocationSites),
      confirmed: true,
    }
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
      file: relative(this.host.root, window.info.file).split(sep).join('/'),
      fullName: window.info.fullName,
      fromTestOptions: window.info.budget,
      fromCall: window.budgetFromCall,
    })
  }

  private verdict(findings: Finding[], notes: string[]): Verdict {
    return { state: findings.some((f) => f.severity === 'error') ? 'leak' : 'clean', findings, notes }
  }
}

function singleRunFinding(growth: number, budget: ResolvedBudget): RetainedFinding {
  return { kind: 'retained', bytes: growth, runs: 1, perRun: growth, minPerRun: growth, budget: budget.bytes, sites: [], confirmed: false }
}

const CONSOLE_METHODS = ['log', 'info', 'warn', 'error', 'debug', 'trace', 'dir', 'table'] as const

/** Re-runs repeat work the person already saw: their console output is not printed again. */
async function quietly(rerun: Rerun): Promise<void> {
  const saved = CONSOLE_METHODS.map((m) => [m, console[m]] as const)
  for (const [m] of saved) console[m] = () => {}
  try {
    await rerun()
  } finally {
    for (const [m, fn] of saved) console[m] = fn as never
  }
}
