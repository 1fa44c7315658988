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
import { siteOf, type CallFrame } from '../allocation-site.js'

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
  readonly object: unknown[]
}

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

// A function with a name of its own: the profile's samples of marks are found by it.
function leakproofAllocationMark(): unknown[] {
  return new Array(SAMPLING_INTERVAL / 8 + 64)
}

/** A mark here, or undefined when the profiler is not running. Release it when it is read. */
export function mark(): Mark | undefined {
  if (!running) return undefined
  const m = { object: leakproofAllocationMark() }
  live.push(m)
  return m
}

export function release(m: Mark | undefined): void {
  const i = m ? live.indexOf(m) : -1
  if (i >= 0) live.splice(i, 1)
}

export interface LiveAllocations {
  /** Estimated bytes allocated between the two marks and still alive. */
  between(from: Mark, to: Mark): number
  /** Where they were allocated, biggest first. */
  sitesBetween(from: Mark, to: Mark, limit: number): AllocationSite[]
}

/**
 * The profile now (call it after a full GC: only live objects' samples are in it), read against
 * the live marks. Undefined when the marks cannot be matched (one was not sampled), or the
 * profiler is not running.
 */
export async function liveAllocations(): Promise<LiveAllocations | undefined> {
  if (!running || live.length === 0) return undefined
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
  const isMark = (s: Sample): boolean => paths.get(s.nodeId)?.at(-1)?.functionName === leakproofAllocationMark.name
  const marks = profile.samples.filter(isMark).sort((a, b) => a.ordinal - b.ordinal)
  if (marks.length !== live.length) return undefined
  const ordinalOf = new Map(live.map((m, i) => [m, marks[i]!.ordinal]))
  const samples = profile.samples.filter((s) => !isMark(s))
  const inRange = (from: Mark, to: Mark): Sample[] => {
    const lo = ordinalOf.get(from)
    const hi = ordinalOf.get(to)
    return lo === undefined || hi === undefined ? [] : samples.filter((s) => s.ordinal > lo && s.ordinal < hi)
  }
  return {
    between: (from, to) => inRange(from, to).reduce((n, s) => n + s.size, 0),
    sitesBetween(from, to, limit) {
      const bySite = new Map<string, AllocationSite>()
      for (const s of inRange(from, to)) {
        const site = siteOf(paths.get(s.nodeId) ?? [])
        if (!site) continue
        const key = `${site.functionName}\0${site.location?.file}:${site.location?.line}:${site.location?.column}`
        const existing = bySite.get(key)
        if (existing) existing.bytes += s.size
        else bySite.set(key, { ...site, bytes: s.size })
      }
      return [...bySite.values()].sort((a, b) => b.bytes - a.bytes).slice(0, limit)
    },
  }
}
