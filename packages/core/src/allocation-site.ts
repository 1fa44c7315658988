import type { AllocationSite } from './findings.js'
import { mapPosition } from './sourcemap.js'
import { ownerOf, toPath } from './stack.js'

/** A frame of the sampling heap profiler's allocation tree (see probes/allocations.ts). */
export interface CallFrame {
  functionName: string
  url: string
  lineNumber: number
  columnNumber: number
}

/** The innermost frame of the user's code on an allocation's stack (root first in `path`). */
export function siteOf(path: CallFrame[]): Omit<AllocationSite, 'bytes'> | undefined {
  let fallback: Omit<AllocationSite, 'bytes'> | undefined
  for (let i = path.length - 1; i >= 0; i--) {
    const frame = path[i]!
    if (!frame.url) continue
    const owner = ownerOf(toPath(frame.url))
    if (owner !== 'user' && (owner !== 'dependency' || fallback)) continue
    const functionName = frame.functionName || '<anonymous>'
    const site = {
      functionName,
      location: mapPosition(frame.url, frame.lineNumber, frame.columnNumber, frame.functionName),
    }
    if (owner === 'user') return site
    fallback = site
  }
  return fallback
}
