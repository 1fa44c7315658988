import { freemem } from 'node:os'
import v8 from 'node:v8'

export type ParseLocation = 'in-process' | 'child-process'

export interface ParseDecision {
  where: ParseLocation
  /** The numbers the decision was made on, for the report. */
  reason: string
}

/**
 * Memory the engine needs per byte of snapshot file, measured on Node 20 with
 * `node bench/snapshot-crosscheck.mjs` (see its output in the commit that set these):
 * - typed arrays (nodes, edges, indexes, dominator and BFS side arrays) live outside the JS heap,
 *   about 1.6 bytes per file byte for the "after" snapshot and 1 for the "before" one;
 * - the strings array and the small per-group maps live on the JS heap: about 0.35 bytes per
 *   file byte (names, property names, source text V8 put in the snapshot).
 */
const EXTERNAL_PER_FILE_BYTE = 1.6
const HEAP_PER_FILE_BYTE = 0.35

/**
 * Share of the free heap (heap_size_limit − used) and of the machine's free memory the engine may
 * take in the caller's process. The caller is a test worker that goes on running tests; a worker
 * started with a 200 MB heap limit (resourceLimits, --max-old-space-size) has perhaps 100 MB free,
 * and running it into its limit kills the worker with the test run in it.
 */
const SHARE_OF_FREE = 0.5

/**
 * Parse here when the snapshots fit comfortably in this process's free heap and the machine's
 * free memory, else in a child process that has its own heap limit and exits afterwards (giving
 * its memory back at once, where a test worker would keep a grown heap for the rest of the run).
 */
export function whereToParse(fileBytes: number): ParseDecision {
  const { heap_size_limit: limit, used_heap_size: used } = v8.getHeapStatistics()
  const heapNeeded = fileBytes * HEAP_PER_FILE_BYTE
  const externalNeeded = fileBytes * EXTERNAL_PER_FILE_BYTE
  const heapFree = limit - used
  const machineFree = freemem()
  const mb = (bytes: number): string => `${Math.round(bytes / 1024 ** 2)} MB`
  const numbers = `snapshots ${mb(fileBytes)}: needs ~${mb(heapNeeded)} heap + ~${mb(externalNeeded)} outside it; ${mb(heapFree)} heap free of ${mb(limit)}, ${mb(machineFree)} free on the machine`
  if (heapNeeded <= heapFree * SHARE_OF_FREE && heapNeeded + externalNeeded <= machineFree * SHARE_OF_FREE) {
    return { where: 'in-process', reason: numbers }
  }
  return { where: 'child-process', reason: numbers }
}

/** A heap limit for the child: what it needs with room to spare, never below Node's small default. */
export function childHeapLimitMb(fileBytes: number): number {
  return Math.max(512, Math.ceil((fileBytes * HEAP_PER_FILE_BYTE * 3) / 1024 ** 2))
}
