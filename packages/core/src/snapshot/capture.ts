import { closeSync, openSync, writeSync } from 'node:fs'
import { inspectorSession, post, postSync } from '../inspector.js'

export interface CapturedSnapshot {
  path: string
  /** Size of the file written. */
  bytes: number
}

/** Node 20's V8 finds closure lines by scanning scripts that have no line-ends table yet. */
const NEEDS_LINE_ENDS_PRIMING = Number(process.versions.node.split('.')[0]) <= 20

export interface CaptureOptions {
  /**
   * Small integers as nodes of their own (default true): objects such as `{ id, name }` then get
   * their full property list in group names. The "before" of a diff, which is only read for ids,
   * goes without (a smaller file, written faster).
   */
  numericValues?: boolean
}

/**
 * Takes a heap snapshot of the calling isolate (main thread, child process or `worker_threads`
 * worker), handing each chunk of its JSON to `onChunk` as V8 writes it: to a parser
 * (analysis-thread.ts), a file, or both. V8 collects all garbage itself first (seen: 300,000
 * unreachable objects allocated just before are not in the snapshot), so no GC of ours precedes it.
 *
 * Capture goes through the in-process inspector (`HeapProfiler.takeHeapSnapshot`). Chunks are
 * dispatched synchronously, so `onChunk` must consume them at once (a write stream would queue the
 * whole JSON in memory). Measured against `v8.writeHeapSnapshot()` on a 47 MB heap (87 MB file,
 * Node 20, 2 cores): 5.3 s and 782 MB peak RSS here, 6.0 s and 799 MB there — the peak is V8's own
 * snapshot graph either way, and the inspector route also lets us prime line ends on the same
 * session.
 *
 * Seconds per 100 MB of heap: call it only for a confirmed leak.
 */
export async function captureHeapSnapshot(
  onChunk: (chunk: string) => void,
  { numericValues = true }: CaptureOptions = {},
): Promise<void> {
  if (NEEDS_LINE_ENDS_PRIMING) {
    // Enabling the debugger computes every script's line ends once; without it, a process that
    // loaded a big script (TypeScript's compiler) spends minutes in Script::GetPositionInfo.
    postSync('Debugger.enable')
    postSync('Debugger.disable')
  }
  const listener = (message: { params: { chunk: string } }): void => onChunk(message.params.chunk)
  const session = inspectorSession()
  session.on('HeapProfiler.addHeapSnapshotChunk', listener)
  try {
    // Node 20 and 22 answer an in-process session at once; Node 24 inside a test worker (Vitest 5)
    // answers later, so wait for it — the few bytes of the pending call are a group under 1 KB,
    // which reports do not list.
    await post('HeapProfiler.takeHeapSnapshot', { reportProgress: false, captureNumericValue: numericValues })
  } finally {
    session.off('HeapProfiler.addHeapSnapshotChunk', listener)
  }
}

/** {@link captureHeapSnapshot} into a file, each chunk written as it arrives. */
export async function writeHeapSnapshot(path: string): Promise<CapturedSnapshot> {
  const fd = openSync(path, 'w')
  let bytes = 0
  try {
    await captureHeapSnapshot((chunk) => {
      bytes += writeSync(fd, chunk)
    })
  } finally {
    closeSync(fd)
  }
  return { path, bytes }
}

/**
 * The id V8 gave `object` in this isolate's heap snapshots (`@12345` in DevTools): ask after taking
 * one (before the first, V8 has given none; 0 then). The inspector
 * only names objects it can reach by an expression, so the object sits on a global for the one
 * call, and is gone from it before any snapshot is taken.
 */
export async function heapObjectId(object: object): Promise<number> {
  const key = `__leakproof_object_${process.pid}_${Math.random().toString(36).slice(2)}`
  const scope = globalThis as Record<string, unknown>
  scope[key] = object
  try {
    const { result } = await post<{ result: { objectId?: string } }>('Runtime.evaluate', {
      expression: `globalThis[${JSON.stringify(key)}]`,
    })
    if (!result.objectId) throw new Error('the inspector returned no object')
    try {
      const { heapSnapshotObjectId } = await post<{ heapSnapshotObjectId: string }>('HeapProfiler.getHeapObjectId', {
        objectId: result.objectId,
      })
      return Number(heapSnapshotObjectId)
    } finally {
      await post('Runtime.releaseObject', { objectId: result.objectId })
    }
  } finally {
    delete scope[key]
  }
}
