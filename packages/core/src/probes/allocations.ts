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
}

const RELEASED: unknown[] = []

let running = false
/** The marks alive, oldest first: the profile's mark samples are matched to them by order. */
const live: Mark[] = []

/**
 * Starts the profiler for the process (once). False when it cannot be had (a profiler someone else
 * started): windows are then judged by their cheap bounds alone.
 */
export function startAllocationSampling(): boolean {
  if (running) return true
  try {
    v8.setFlagsFromString('--sampling-heap-profiler-suppress-randomness')
    postSync('HeapProfiler.startSampling', { samplingInterval: SAMPLING_INTERVAL })
    running = true
  } catch {
    running = false
  }
  return running
}

// A function with a name of its own: the profile's samples of marks are found by it. A generator,
// because V8 never inlines one: a small function is inlined into the optimized code that calls it,
// and a sample's stack then names the caller, so the mark went unfound, and every older window was
// matched to the next older mark (a window that kept 1 MB read as 0 bytes: CI's silent misses; in a
// loop of 20 marks per judgement, 113 of 300 judgements had a mark unfound, none with a generator).
function* leakproofAllocationMark(): Generator<unknown[], void> {
  yield new Array(SAMPLING_INTERVAL / 8 + 64)
}

/** A mark here, or undefined when the profiler is not running. Release it when it is read. */
export function mark(): Mark | undefined {
  if (!running) return undefined
  const m = { object: leakproofAllocationMark().next().value as unknown[] }
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

export interface LiveAllocations {
  /** Estimated bytes allocated between the two marks and still alive. */
  between(from: Mark, to: Mark): number
  /** The same by where it was allocated, biggest first, at most `limit` sites. */
  sitesBetween(from: Mark, to: Mark, limit: number): AllocationSite[]
}

/**
 * The profile now (call it after a full GC: only live objects' samples are in it), read against
 * the live marks. Undefined when the profiler is not running or no mark was sampled.
 */
export async function liveAllocations(): Promise<LiveAllocations | undefined> {
  if (!running || live.length === 0) return undefined
  const { paths, samples: all } = await readProfile()
  const isMark = (s: Sample): boolean => paths.get(s.nodeId)?.at(-1)?.functionName === leakproofAllocationMark.name
  const marks = all.filter(isMark).sort((a, b) => a.ordinal - b.ordinal)
  if (marks.length === 0) return undefined
  // Matched newest first: the marks that matter are the newest (the windows being judged), and a
  // mark missed or left over long ago (seen in a Jest worker that had run other files) then shifts
  // none of them.
  const ordinalOf = new Map<Mark, number>()
  for (let i = 1; i <= Math.min(marks.length, live.length); i++) {
    ordinalOf.set(live[live.length - i]!, marks[marks.length - i]!.ordinal)
  }
  const samples = all.filter((s) => !isMark(s) && !isToolAllocation(paths.get(s.nodeId) ?? []))
  const samplesBetween = (from: Mark, to: Mark): Sample[] => {
    const lo = ordinalOf.get(from)
    const hi = ordinalOf.get(to)
    if (lo === undefined || hi === undefined) return []
    return samples.filter((s) => s.ordinal > lo && s.ordinal < hi)
  }
  return {
    between: (from, to) => samplesBetween(from, to).reduce((n, s) => n + s.size, 0),
    sitesBetween: (from, to, limit) => bySite(samplesBetween(from, to), paths).slice(0, limit),
  }
}

/** Samples summed by allocation site (see allocation-site.ts), biggest first. */
function bySite(samples: readonly Sample[], paths: ReadonlyMap<number, CallFrame[]>): AllocationSite[] {
  const sites = new Map<string, AllocationSite>()
  for (const x of samples) {
    const site = siteOf(paths.get(x.nodeId) ?? [])
    if (!site) continue
    const key = `${site.functionName}\0${site.location?.file}:${site.location?.line}:${site.location?.column}\0${callerKey(site.dependency)}`
    const existing = sites.get(key)
    if (existing) existing.bytes += x.size
    else sites.set(key, { ...site, bytes: x.size })
  }
  return [...sites.values()].sort((a, b) => b.bytes - a.bytes)
}

async function readProfile(): Promise<{ paths: Map<number, CallFrame[]>; samples: Sample[] }> {
  const { profile } = await post<{ profile: { head: ProfileNode; samples: Sample[] } }>(
    'HeapProfiler.getSamplingProfile',
  )
  const paths = new Map<number, CallFrame[]>()
  const walk = (node: ProfileNode, parent: CallFrame[]): void => {
    const path = [...parent, node.callFrame]
    paths.set(node.id, path)
    for (const child of node.children) walk(child, path)
  }
  walk(profile.head, [])
  return { paths, samples: profile.samples }
}
