import { freemem } from 'node:os'
import v8 from 'node:v8'

export type ParseLocation = 'in-process' | 'child-process'

export interface ParseDecision {
  where: ParseLocation
  /** The numbers the decision was made on, for the report. */
  reason: string
}

/**
 * Memory the engine needs per byte of snapshot file (before + after summed), measured on Node 20
 * with explainLeak in-process on the pair `node bench/snapshot-crosscheck.mjs 300000` makes (a
 * 202 MB "after" and a 103 MB "before"): 269 MB of typed arrays and 45 MB of JS heap once the
 * diff, dominators and paths were done, 401 MB peak RSS for the whole process.
 * - typed arrays (the after's columns and raw strings, its indexes, dominator and BFS side arrays,
 *   the before's id table) live outside the JS heap: 0.88 bytes per file byte;
 * - the JS heap holds only the groups' member lists and the decoded names: 0.15.
 * Rounded up below.
 */
const EXTERNAL_PER_FILE_BYTE = 1.0
const HEAP_PER_FILE_BYTE = 0.2

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
