import { closeSync, openSync, writeSync } from 'node:fs'
import { setImmediate } from 'node:timers'
import { getHeapSnapshot } from 'node:v8'
import { post, postSync } from '../inspector.js'

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
 * worker), handing each chunk of its JSON to `onChunk`: to a parser (analysis-thread.ts), a file,
 * or both. V8 collects all garbage itself first (seen: 300,000 unreachable objects allocated just
 * before are not in the snapshot), so no GC of ours precedes it.
 *
 * Capture goes through `v8.getHeapSnapshot()`, not the inspector's `HeapProfiler.takeHeapSnapshot`:
 * the inspector wraps every chunk in a protocol message (its JSON escaped into a JSON string, then
 * parsed back into a JS string here), which doubled V8's serialising time. Measured on a 62 MB heap
 * (a 105 MB snapshot, Node 20, 2 cores, three runs each): 3.6–3.8 s here against 4.2–4.4 s through
 * the inspector, of which about 3.0 s is V8 building its snapshot graph before the first byte. The
 * stream hands over its chunks only once V8 has written them all (about the file's size in memory
 * for a moment, next to V8's own snapshot graph, several times that).
 *
 * Seconds per 100 MB of heap: call it only for a confirmed leak.
 */
export async function captureHeapSnapshot(
  onChunk: (chunk: Buffer) => void,
  { numericValues = true }: CaptureOptions = {},
): Promise<void> {
  if (NEEDS_LINE_ENDS_PRIMING) {
    // Enabling the debugger computes every script's line ends once; without it, a process that
    // loaded a big script (TypeScript's compiler) spends minutes in Script::GetPositionInfo.
    postSync('Debugger.enable')
    postSync('Debugger.disable')
  }
  // V8 builds the snapshot in this call; the stream then serialises it.
  const stream = getHeapSnapshot({ exposeNumericValues: numericValues })
  await new Promise<void>((resolve, reject) => {
    stream.on('data', (chunk: Buffer) => {
      try {
        onChunk(chunk)
      } catch (error) {
        stream.destroy(error as Error) // a write that failed (a full disk): the capture's error
      }
    })
    // Resolved from a macrotask of its own (Node's timers, not a test's fake ones). Resolved in the
    // 'end' event, the caller would go on under Node's tick loop, whose current tick (the stream's
    // end, on the stack) holds the stream and its buffers: a snapshot taken next counted them as
    // new objects (3 arrays in a diff of 2,000 leaked ones).
    stream.once('end', () => setImmediate(resolve))
    stream.once('error', reject)
  })
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
