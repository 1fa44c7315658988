/**
 * Which window allocated the memory still alive after a full GC, for many windows at once, from
 * V8's sampling heap profiler. It runs for the whole file and keeps only the samples of objects
 * still alive, each with an `ordinal` in allocation order. Windows are delimited by marks: an
 * object of more than the sampling interval, which the profiler is sure to sample because the
 * interval is fixed (`--sampling-heap-profiler-suppress-randomness`), kept alive until the
 * profile is read. The live samples between a window's two marks estimate what it retains.
 * (bench/: one mark costs an allocation of 16 KB; reading the profile, 5–30 ms once per judgement.)
 */
import v8 from 'node:v8'
import type { AllocationSite } from '../findings.js'
import { fullGc } from '../gc.js'
import { post, postSync } from '../inspector.js'
import { isToolAllocation, siteOf, type CallFrame } from '../allocation-site.js'
import { callerKey } from '../origin.js'

/**
 * One sample per this many bytes allocated. A window that keeps 64 KB (the noise floor) leaves
 * about four live samples; one that keeps a few KB of framework bookkeeping rarely leaves two.
 */
export const SAMPLING_INTERVAL = 16 * 1024

interface ProfileNode {
  id: number
  callFrame: CallFrame
  children: ProfileNode[]
}
interface Sample {
  size: number
  nodeId: number
  ordinal: number
}

/** A point in the sequence of allocations. */
export interface Mark {
  object: unknown[]
  /** Which of the mark functions made it: its sample in the profile is found by that name. */
  id: number
}

const RELEASED: unknown[] = []

let running = false
/** Whether a start was tried: one that failed is not tried again at every window. */
let started = false
/** The marks alive, oldest first. */
const live: Mark[] = []

/**
 * Starts the profiler for the process (once). False when it cannot be had (a profiler someone else
 * started): windows are then judged by their cheap bounds alone.
 */
export function startAllocationSampling(): boolean {
  if (started) return running
  started = true
  v8.setFlagsFromString('--sampling-heap-profiler-suppress-randomness')
  running = startSampling()
  return running
}

function startSampling(): boolean {
  try {
    postSync('HeapProfiler.startSampling', { samplingInterval: SAMPLING_INTERVAL })
    return true
  } catch {
    return false
  }
}

/**
 * Marks are made by MARK_FUNCTIONS functions in turn, each with a name of its own, so that a sample
 * says which mark it is. Matched by order alone, one mark unfound or one sample too many shifted
 * every older window onto the gap before it (a window that kept 1 MB read as 0 bytes: CI's silent
 * misses); matched by name, such a mark leaves only its own windows unread, and they are suspects.
 * Generators, because V8 never inlines one: a small function is inlined into the optimized code
 * that calls it, and its samples then name the caller.
 */
const MARK_FUNCTIONS = 256
const MARK_NAME = 'leakproofAllocationMark'
const MARK_PATTERN = new RegExp(`^${MARK_NAME}(\\d+)$`)
const markFunctions: Array<(length: number) => Generator<unknown[], void>> = []
let nextMarkId = 0

function markFunction(id: number): (length: number) => Generator<unknown[], void> {
  // Compiled from source: a closure made by a factory would share one name and one place.
  markFunctions[id] ??= new Function(`return function* ${MARK_NAME}${id}(length) { yield new Array(length) }`)()
  return markFunctions[id]!
}

/** A mark here, or undefined when the profiler is not running. Release it when it is read. */
export function mark(): Mark | undefined {
  if (!running) return undefined
  const id = nextMarkId
  nextMarkId = (nextMarkId + 1) % MARK_FUNCTIONS
  const m = { object: markFunction(id)(SAMPLING_INTERVAL / 8 + 64).next().value as unknown[], id }
  live.push(m)
  return m
}

/**
 * Forgets a mark. Its sampled object is dropped here, not with the mark: a mark something still
 * holds (a finished async function's frame) must not leave a sample behind that no live mark owns.
 */
export function release(m: Mark | undefined): void {
  if (!m) return
  m.object = RELEASED
  const i = live.indexOf(m)
  if (i >= 0) live.splice(i, 1)
}

/**
 * The ordinal of each live mark's sample (undefined for one without), newest first: each takes the
 * newest sample of its name older than the newer marks' samples, so that marks and samples stay in
 * allocation order, and a sample no live mark owns (an object a mark no longer holds, not yet
 * collected) or a mark never sampled shifts no other mark.
 */
export function matchMarks(
  liveIds: readonly number[],
  sampled: ReadonlyArray<{ id: number; ordinal: number }>,
): Array<number | undefined> {
  const ordinals = new Map<number, number[]>()
  for (const s of [...sampled].sort((a, b) => a.ordinal - b.ordinal)) {
    const list = ordinals.get(s.id)
    if (list) list.push(s.ordinal)
    else ordinals.set(s.id, [s.ordinal])
  }
  const matched: Array<number | undefined> = new Array(liveIds.length).fill(undefined)
  let below = Infinity
  for (let i = liveIds.length - 1; i >= 0; i--) {
    const list = ordinals.get(liveIds[i]!) ?? []
    let k = list.length - 1
    while (k >= 0 && list[k]! >= below) k--
    if (k < 0) continue
    matched[i] = below = list[k]!
    list.length = k
  }
  return matched
}

export interface LiveAllocations {
  /** Estimated bytes allocated between the two marks and still alive; undefined if a mark went unsampled. */
  between(from: Mark, to: Mark): number | undefined
  /** The same by where it was allocated, biggest first, at most `limit` sites. */
  sitesBetween(from: Mark, to: Mark, limit: number): AllocationSite[]
}

/**
 * A full GC, then the profile, read against the live marks: only live objects' samples are in it.
 * Undefined when the profiler is not running or no mark was sampled. The inspector starts V8's
 * sampling profiler with kSamplingForceGC, so the read takes a mark-compact of its own first
 * (`--trace-gc` says "sampling profiler"): that is the GC, none is added before it. (One added made
 * each read two mark-compacts, 45 ms each in a jsdom worker's heap: fixtures/rtl under Jest -i ran
 * 7.5 s against 6.7 s without it, with the same suspects.)
 */
export async function liveAllocations(
  lastReadOf?: ReadonlyArray<Mark | undefined>,
): Promise<LiveAllocations | undefined> {
  if (!running || live.length === 0) {
    fullGc()
    return undefined
  }
  const profile = await readProfile(lastReadOf !== undefined && live.every((m) => lastReadOf.includes(m)))
  const markIdOf = (s: Sample): number | undefined => {
    const match = MARK_PATTERN.exec(profile.frameOf.get(s.nodeId)?.functionName ?? '')
    return match ? Number(match[1]) : undefined
  }
  const sampledMarks: Array<{ id: number; ordinal: number }> = []
  for (const s of profile.samples) {
    const id = markIdOf(s)
    if (id !== undefined) sampledMarks.push({ id, ordinal: s.ordinal })
  }
  if (sampledMarks.length === 0) return undefined
  const matched = matchMarks(
    live.map((m) => m.id),
    sampledMarks,
  )
  const ordinalOf = new Map(live.map((m, i) => [m, matched[i]] as const))
  // Only samples between the oldest and the newest live mark can be in a window: most live samples
  // are older (the modules the file loaded), and their stacks are never looked at.
  const marked = matched.filter((o) => o !== undefined)
  const [oldest, newest] = [Math.min(...marked), Math.max(...marked)]
  const toolByNode = new Map<number, boolean>()
  const isTool = (nodeId: number): boolean => {
    let tool = toolByNode.get(nodeId)
    if (tool === undefined) toolByNode.set(nodeId, (tool = isToolAllocation(profile.pathOf(nodeId))))
    return tool
  }
  const samples = profile.samples.filter(
    (s) => s.ordinal > oldest && s.ordinal < newest && markIdOf(s) === undefined && !isTool(s.nodeId),
  )
  const samplesBetween = (from: Mark, to: Mark): Sample[] | undefined => {
    const lo = ordinalOf.get(from)
    const hi = ordinalOf.get(to)
    if (lo === undefined || hi === undefined) return undefined
    return samples.filter((s) => s.ordinal > lo && s.ordinal < hi)
  }
  return {
    between: (from, to) => samplesBetween(from, to)?.reduce((n, s) => n + s.size, 0),
    sitesBetween: (from, to, limit) => bySite(samplesBetween(from, to) ?? [], profile.pathOf).slice(0, limit),
  }
}

/** Samples summed by allocation site (see allocation-site.ts), biggest first. */
function bySite(samples: readonly Sample[], pathOf: (nodeId: number) => CallFrame[]): AllocationSite[] {
  const sites = new Map<string, AllocationSite>()
  for (const x of samples) {
    const site = siteOf(pathOf(x.nodeId))
    if (!site) continue
    const key = `${site.functionName}\0${site.location?.file}:${site.location?.line}:${site.location?.column}\0${callerKey(site.dependency)}`
    const existing = sites.get(key)
    if (existing) existing.bytes += x.size
    else sites.set(key, { ...site, bytes: x.size })
  }
  return [...sites.values()].sort((a, b) => b.bytes - a.bytes)
}

interface Profile {
  samples: Sample[]
  /** The innermost frame of each allocation-tree node. */
  frameOf: Map<number, CallFrame>
  /** A node's frames, root first (memoised: only the nodes of samples in a window are asked). */
  pathOf: (nodeId: number) => CallFrame[]
}

/**
 * The profile as a tree of parent links: a path per node built up front was a copy of its parent's
 * per node (V8's allocation trees are deep in a React suite) and most of it never read.
 *
 * `restart`: the marks alive are read for the last time, so the profiler starts afresh with this
 * read (`stopSampling` reads as `getSamplingProfile` does), and the next reads carry only the
 * samples of what was allocated since. Without it every read carried a sample per 16 KB of all the
 * heap alive since the profiler first started (the framework, every module loaded), and turning
 * that into JSON and back was 430 ms of fixtures/rtl's 6.2 s under Jest -i.
 */
async function readProfile(restart: boolean): Promise<Profile> {
  const { profile } = await post<{ profile: { head: ProfileNode; samples: Sample[] } }>(
    restart ? 'HeapProfiler.stopSampling' : 'HeapProfiler.getSamplingProfile',
  )
  if (restart) running = startSampling()
  const frameOf = new Map<number, CallFrame>()
  const parentOf = new Map<number, number>()
  const pending = [profile.head]
  for (let node = pending.pop(); node; node = pending.pop()) {
    frameOf.set(node.id, node.callFrame)
    for (const child of node.children) {
      parentOf.set(child.id, node.id)
      pending.push(child)
    }
  }
  const paths = new Map<number, CallFrame[]>()
  const pathOf = (nodeId: number): CallFrame[] => {
    let path = paths.get(nodeId)
    if (path) return path
    const frame = frameOf.get(nodeId)
    if (!frame) return []
    const parent = parentOf.get(nodeId)
    path = parent === undefined ? [frame] : [...pathOf(parent), frame]
    paths.set(nodeId, path)
    return path
  }
  return { samples: profile.samples, frameOf, pathOf }
}
