/**
 * Test files whose whole environment stays alive after the file ended: the leak test-suite users
 * meet most, a worker whose heap grows file after file until it runs out. Jest gives every test
 * file a vm context of its own (and Vitest 5's vm pools do too) while core modules, `process` and
 * the timers are the worker's: one function of a file left on any of them (a patched `fs.readFile`,
 * a `process` listener, an interval made at import) keeps the file's context, its module registry
 * and everything they reference.
 *
 * One watcher per worker (the engine is loaded once per worker): a host tells it when a file's
 * environment is released, and it keeps a weak reference to the file's global. It judges at each
 * release, on the full GCs that ran since the last one, with `environmentState` (alive one file
 * later, and again after a later file still): V8's own,
 * leakproof's (its judging GCs, and one when the heap grew enough since the last full GC:
 * `environmentGcDue`, never one per file), and one at the end of the worker where the host can
 * still report it (`finish`).
 */
import { setImmediate as nextMacrotask } from 'node:timers/promises'
import v8 from 'node:v8'
import type { EnvironmentJudge } from './environment-verdicts.js'
import { explainAlive, type SnapshotPlace } from './explain-findings.js'
import type { EnvironmentFinding, RetainedBy, SourceLocation } from './findings.js'
import { fullGc } from './gc.js'
import { environmentGcDue, environmentState, heldByOwnFailure } from './rules.js'
import { locationText } from './format.js'
import { formatRetainerPath } from './snapshot/format-retainers.js'
import { mapPosition } from './sourcemap.js'
import { ownerOf } from './stack.js'

interface Released {
  file: string
  /** Files are numbered in the order their environments were released. */
  number: number
  /**
   * The file's global object: what its environment's every function reaches (through its vm
   * context), and what the heap snapshot finds it by. Not a mark stored on it: Vitest 5's vm pools
   * delete a context's globals after its file, and the mark went while the context stayed.
   */
  global: WeakRef<object>
  /** Where what the file and its tests already failed for was made (see `heldByOwnFailure`). */
  failedFor: SourceLocation[]
  /** Set when it was first seen alive though it must be gone (see `environmentState`). */
  aliveAfter?: number
}

/** A released environment that must be gone and is not, for `environmentFindings`. */
export interface HeldEnvironment {
  file: string
  global: WeakRef<object>
  failedFor: SourceLocation[]
}

/** Full GCs in V8's GC profiler's words (incremental marking steps and scavenges are not). */
const FULL_GC = 'MarkSweepCompact'

interface GcStatistics {
  gcType: string
  afterGC?: { heapStatistics?: { usedHeapSize?: number } }
}

class EnvironmentWatch {
  private readonly watching: Released[] = []
  private releases = 0
  /** The number of the latest release a full GC came after (-1: none yet). */
  private fullGcAfter = -1
  /** The number of the latest release the last full GC ended after. */
  private lastFullGcEndedAfter = -1
  /** Used heap right after the last full GC (or at the first release, before any). */
  private liveAfterFullGc: number | undefined
  private profiler: v8.GCProfiler | undefined
  /** Set when the host was seen to give two files one global: nothing is per file there. */
  private shared = false
  private readonly released = new WeakSet<object>()
  /** The latest file's options, for the end of the worker (it holds no file's global). */
  private judge: EnvironmentJudge | undefined

  /** Whether files have environments of their own here, and one was handed over. */
  get perFile(): boolean {
    return this.releases > 0 && !this.shared
  }

  /**
   * `file`'s environment is over (after its teardown): from now on it should be collected. Returns
   * the earlier files whose environments must be gone and are not, in the order they ran.
   * `failedFor`: where what the file and its tests failed for was made.
   */
  release(file: string, global: object, failedFor: SourceLocation[], judge: EnvironmentJudge): HeldEnvironment[] {
    this.observeGcs()
    this.judge = judge
    if (this.shared || global === globalThis || this.released.has(global)) {
      // Vitest 4.1's vm pools and `isolate: false` run a worker's files in one context; Vitest's
      // other pools run a file in the worker's own realm, whose global lives as long as the worker.
      this.shared = true
      this.watching.length = 0
      return []
    }
    this.liveAfterFullGc ??= v8.getHeapStatistics().used_heap_size
    const oldest = this.watching[0]?.number
    const grown = v8.getHeapStatistics().used_heap_size - this.liveAfterFullGc
    const suspects = this.watching.flatMap((r) => (r.aliveAfter === undefined ? [] : [r.aliveAfter]))
    const due =
      oldest !== undefined &&
      environmentGcDue({
        oldestWaiting: oldest,
        latest: this.releases - 1,
        suspectSince: suspects.length > 0 ? Math.min(...suspects) : undefined,
        grown,
        liveAfterFullGc: this.liveAfterFullGc,
      })
    if (due) this.collectNow(this.releases - 1)
    const held = this.held()
    this.released.add(global)
    this.watching.push({ file, number: this.releases++, global: new WeakRef(global), failedFor })
    return held
  }

  /**
   * The end of the worker, where the host can still report (Jest: the reporter, after the run's
   * last file): nothing of the worker runs after it, so it counts as the file after the last one,
   * and a moment later as the one after that. Two full GCs judge every environment still watched;
   * `hostHoldsLatest`: except the latest file's, which the host itself still references there
   * (Vitest 5's vm pools as the worker stops: alive after two full GCs in every clean worker;
   * what `runVmTests` sets per file is replaced only by the next file), and which only a heap
   * snapshot could tell from a leak.
   */
  async finish(hostHoldsLatest: boolean): Promise<{ held: HeldEnvironment[]; judge?: EnvironmentJudge }> {
    if (hostHoldsLatest) {
      const latest = this.watching.findIndex((r) => r.number === this.releases - 1)
      if (latest >= 0) this.watching.splice(latest, 1)
    }
    if (this.shared || this.watching.length === 0) return { held: [] }
    const held: HeldEnvironment[] = []
    for (const after of [this.releases, this.releases + 1]) {
      // WeakRef targets stay alive until the end of the macrotask that read them.
      await nextMacrotask()
      this.observeGcs()
      this.collectNow(after)
      held.push(...this.held())
      // All collected (a clean worker's end): no suspect is left for a second GC to confirm.
      if (this.watching.length === 0) break
    }
    return { held, judge: this.judge }
  }

  /**
   * Leakproof's own full GC, for this check: every release up to `after` came before it. (The GC
   * is synchronous and runs twice: what marking had reached before it does not survive the second.)
   */
  private collectNow(after: number): void {
    fullGc()
    this.fullGcAfter = Math.max(this.fullGcAfter, after)
    this.lastFullGcEndedAfter = after
    this.liveAfterFullGc = v8.getHeapStatistics().used_heap_size
    this.profiler?.stop()
    this.profiler = new v8.GCProfiler()
    this.profiler.start()
  }

  /**
   * Takes the GCs since the last call. A full GC
   * counts from the end of the one before it: V8 marks incrementally, from before the GC it is
   * reported as, and what died after marking began survives that GC; no GC's marking begins before
   * the previous GC has ended.
   */
  private observeGcs(): void {
    const stats = (this.profiler?.stop() as { statistics?: GcStatistics[] } | undefined)?.statistics ?? []
    this.profiler = new v8.GCProfiler()
    this.profiler.start()
    // The GCs since the last call ended after the latest release before this one.
    const after = this.releases - 1
    for (const gc of stats) {
      if (gc.gcType !== FULL_GC) continue
      this.fullGcAfter = Math.max(this.fullGcAfter, this.lastFullGcEndedAfter)
      this.lastFullGcEndedAfter = after
      this.liveAfterFullGc = gc.afterGC?.heapStatistics?.usedHeapSize ?? this.liveAfterFullGc
    }
  }

  private held(): HeldEnvironment[] {
    const held: Released[] = []
    for (let i = this.watching.length - 1; i >= 0; i--) {
      const r = this.watching[i]!
      if (r.global.deref() === undefined) {
        this.watching.splice(i, 1)
        continue
      }
      const state = environmentState(r.number, this.fullGcAfter, r.aliveAfter)
      if (state === 'held') held.unshift(...this.watching.splice(i, 1))
      else if (state === 'suspect') r.aliveAfter ??= this.fullGcAfter
    }
    return held.map(({ file, global, failedFor }) => ({ file, global, failedFor }))
  }
}

/** The worker's watcher. */
export const environments = new EnvironmentWatch()

/**
 * Findings for environments that stayed alive: one heap snapshot for all of them, the path from a
 * GC root to each; files held by the same function are one finding. A file already failed for the
 * handle or listener that holds it gets a note instead (`heldByOwnFailure`): one cause, one failure.
 */
export async function environmentFindings(
  held: HeldEnvironment[],
  place: SnapshotPlace,
  root: string,
): Promise<{ findings: EnvironmentFinding[]; notes: Array<{ file: string; note: string }> }> {
  if (held.length === 0) return { findings: [], notes: [] }
  const explained = await explainAlive(
    place,
    held.map((h) => h.global),
  )
  const findings = new Map<string, EnvironmentFinding>()
  const notes: Array<{ file: string; note: string }> = []
  held.forEach(({ file, failedFor }, i) => {
    const explanation = explained[i]
    // Collected before the snapshot: whatever held it let go after all.
    if (!explanation) return
    const retainedBy = mappedToSources(explanation, place.root)
    const createdAt = holdingFunction(retainedBy)
    // A path with no function of the user's or a dependency's on it runs through Node's and the
    // test framework's own bookkeeping (a cache slot keyed by a core module that the next file to
    // use it takes over): no growth a user can act on.
    if ('paths' in retainedBy && !createdAt) return
    if (heldByOwnFailure(createdAt, failedFor)) {
      // No snapshot to read (it could not be taken): a note could only say "may"; the failure says it.
      if (createdAt)
        notes.push({
          file,
          note: `this file's whole environment stayed alive after it ended, held by the function written at ${locationText(createdAt, root)}: what the file already failed for (left open or registered there) holds it`,
        })
      return
    }
    const key = createdAt ? `${createdAt.file}:${createdAt.line}:${createdAt.column}` : file
    const finding = findings.get(key)
    const retainedSize = 'paths' in retainedBy ? retainedBy.paths[0]?.contextSize : undefined
    if (finding) finding.files.push(file)
    else
      findings.set(key, {
        kind: 'environment',
        files: [file],
        ...(createdAt && { createdAt }),
        retainedBy,
        ...(retainedSize !== undefined && { retainedSize }),
      })
  })
  return { findings: [...findings.values()], notes }
}

/**
 * Closures' positions as the snapshot has them are in the code that ran (Jest runs code it
 * transformed): the steps, and the text made from them, point at the source instead.
 */
function mappedToSources(by: RetainedBy, root: string): RetainedBy {
  if (!('paths' in by) || !by.paths[0]) return by
  const steps = by.paths[0].steps.map((step) => {
    if (step.node === 'module' || !step.file || !step.line || !step.column) return step
    const at = mapPosition(step.file, step.line - 1, step.column - 1)
    return { ...step, file: at.file, line: at.line, column: at.column }
  })
  return { ...by, paths: [{ ...by.paths[0], steps }, ...by.paths.slice(1)], text: formatRetainerPath(steps, root) }
}

/**
 * The first function on the path that the user or a dependency wrote (the patch, the listener, the
 * timer's callback), when nothing of the test framework's comes after it: a path that goes on
 * through the framework's own modules reaches this environment by way of another one (Jest
 * shares some of its modules' objects between files' environments), which its own finding names.
 */
function holdingFunction(by: RetainedBy): SourceLocation | undefined {
  if (!('paths' in by)) return undefined
  const steps = by.paths[0]?.steps ?? []
  const owner = (file: string | undefined): string | undefined => (file ? ownerOf(file) : undefined)
  const i = steps.findIndex(
    (s) => s.node !== 'module' && s.line && s.column && owner(s.file) !== 'node' && owner(s.file) !== 'framework',
  )
  if (i < 0 || steps.slice(i + 1).some((s) => owner(s.file) === 'framework')) return undefined
  const step = steps[i]!
  // The snapshot names a function's node `closure readFileWithRetry`.
  const name = /^closure (\S+)/.exec(step.node)?.[1]
  return { file: step.file!, line: step.line!, column: step.column!, ...(name && { functionName: name }) }
}
