import type { AllocationSite } from './findings.js'
import { originOf } from './origin.js'
import { mapFrames } from './stack.js'

/** A frame of the sampling heap profiler's allocation tree (see probes/allocations.ts). */
export interface CallFrame {
  functionName: string
  url: string
  /** 0-based, as the profiler gives them. */
  lineNumber: number
  columnNumber: number
}

/**
 * Where an allocation was made (root first in `path`): the innermost frame of the user's code or of
 * a dependency's, the user's frames mapped to the source they wrote (see origin.ts).
 */
export function siteOf(path: CallFrame[]): Omit<AllocationSite, 'bytes'> | undefined {
  const frames = mapFrames(
    path
      .filter((f) => f.url !== '')
      .reverse()
      .map((f) => ({
        file: f.url,
        line: f.lineNumber + 1,
        column: f.columnNumber + 1,
        functionName: f.functionName || '<anonymous>',
      })),
  )
  const origin = originOf(frames)
  if (!origin) return undefined
  const { at, dependency } = origin
  return {
    functionName: at.functionName,
    location: { file: at.file, line: at.line, column: at.column, functionName: at.functionName },
    ...(dependency && { dependency }),
  }
}
