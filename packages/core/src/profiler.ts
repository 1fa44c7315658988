import type { AllocationSite } from './findings.js'
import { post } from './inspector.js'
import { mapPosition } from './sourcemap.js'
import { ownerOf, toPath } from './stack.js'

/**
 * V8's sampling heap profiler, in-process over the inspector. It samples allocations (one per
 * `samplingInterval` bytes on average) and keeps only the samples whose objects are still alive,
 * so after a full GC the profile says where the surviving memory was allocated.
 */
interface CallFrame {
  functionName: string
  url: string
  lineNumber: number
  columnNumber: number
}
interface ProfileNode {
  callFrame: CallFrame
  selfSize: number
  children: ProfileNode[]
}

/** Small enough to see a few KB retained per run, affordable because it only runs on suspects. */
const SAMPLING_INTERVAL = 4096

export async function startSampling(): Promise<void> {
  await post('HeapProfiler.startSampling', { samplingInterval: SAMPLING_INTERVAL })
}

export async function cancelSampling(): Promise<void> {
  await post('HeapProfiler.stopSampling')
}

/** Stops sampling and returns the biggest allocation sites of what is still alive. */
export async function stopSampling(limit: number): Promise<AllocationSite[]> {
  const { profile } = await post<{ profile: { head: ProfileNode } }>('HeapProfiler.getSamplingProfile')
  await post('HeapProfiler.stopSampling')
  const bySite = new Map<string, AllocationSite>()
  const walk = (node: ProfileNode, path: CallFrame[]): void => {
    const here = [...path, node.callFrame]
    if (node.selfSize > 0) {
      const site = siteOf(here)
      if (site) {
        const key = `${site.functionName}\0${site.location?.file}:${site.location?.line}:${site.location?.column}`
        const existing = bySite.get(key)
        if (existing) existing.bytes += node.selfSize
        else bySite.set(key, { ...site, bytes: node.selfSize })
      }
    }
    for (const child of node.children) walk(child, here)
  }
  walk(profile.head, [])
  return [...bySite.values()].sort((a, b) => b.bytes - a.bytes).slice(0, limit)
}

/** The innermost frame of the user's code on an allocation's stack (root first in `path`). */
function siteOf(path: CallFrame[]): Omit<AllocationSite, 'bytes'> | undefined {
  let fallback: Omit<AllocationSite, 'bytes'> | undefined
  for (let i = path.length - 1; i >= 0; i--) {
    const frame = path[i]!
    if (!frame.url) continue
    const owner = ownerOf(toPath(frame.url))
    if (owner !== 'user' && (owner !== 'dependency' || fallback)) continue
    const functionName = frame.functionName || '<anonymous>'
    const site = { functionName, location: mapPosition(frame.url, frame.lineNumber, frame.columnNumber, frame.functionName) }
    if (owner === 'user') return site
    fallback = site
  }
  return fallback
}
