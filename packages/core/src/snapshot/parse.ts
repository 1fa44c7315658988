import { stat } from 'node:fs/promises'
import { Worker } from 'node:worker_threads'
import { builtEntry } from './entry-file.js'
import { SnapshotError } from './errors.js'
import { HeapSnapshot } from './heap-snapshot.js'
import { ObjectIds } from './object-ids.js'
import type { ParseThreadReply, ParseThreadRequest } from './parse-thread.js'
import { readSnapshotFile } from './read-snapshot-file.js'
import { SnapshotParser, type EdgeColumns } from './snapshot-parser.js'

export interface ParseOptions {
  /** Called after each chunk read; `totalBytes` is the file size. */
  onProgress?: (bytesRead: number, totalBytes: number) => void
  /**
   * Parse on a worker thread: {@link parseHeapSnapshot} reads the edges section there while this
   * thread reads the rest (default: for files of {@link EDGES_ON_THREAD_FROM_BYTES} and more);
   * {@link parseObjectIds} reads the whole file there, leaving this thread free (default: not).
   */
  worker?: boolean
}

/**
 * From this size on, reading the edges on a second thread pays for starting it. Measured on the
 * bench's snapshots (Node 20, 2 cores): the thread is up and reading in about 30 ms, and the edges
 * are 60 % of a file, scanned at about 550 MB/s: a 20 MB file gains nothing, a 100 MB one a third.
 */
const EDGES_ON_THREAD_FROM_BYTES = 48 * 1024 * 1024

/**
 * Reads a `.heapsnapshot` file into a {@link HeapSnapshot} without ever holding its text: chunks go
 * through a {@link SnapshotParser} as they are read. A large file is read by two threads at once:
 * this one reads all but the edges section, a worker thread only that section (see `worker`).
 *
 * Throws a {@link SnapshotError}: `LEAKPROOF_SNAPSHOT_MISSING` when the file is not there,
 * `LEAKPROOF_SNAPSHOT_INVALID` when it is not a complete V8 heap snapshot.
 */
export async function parseHeapSnapshot(path: string, options: ParseOptions = {}): Promise<HeapSnapshot> {
  const worker = options.worker ?? (await fileBytes(path)) >= EDGES_ON_THREAD_FROM_BYTES
  if (!worker) {
    const parser = new SnapshotParser(path, 'graph')
    await readSnapshotFile(path, parser, options.onProgress)
    return new HeapSnapshot(parser.graph())
  }
  const edges = onThread({ path, mode: 'edges', reportProgress: false })
  const parser = new SnapshotParser(path, 'graph-but-edges')
  try {
    await readSnapshotFile(path, parser, options.onProgress)
  } catch (error) {
    edges.stop()
    throw error
  }
  const { edges: columns } = await edges.reply
  return new HeapSnapshot(parser.graph(columns as EdgeColumns))
}

/**
 * Reads only what the "before" side of a diff needs (each object's id, type and name hash): the
 * edges are skipped unread and the strings are hashed, not kept. See {@link ObjectIds}.
 */
export async function parseObjectIds(path: string, options: ParseOptions = {}): Promise<ObjectIds> {
  if (options.worker) {
    const { ids } = await onThread({ path, mode: 'ids', reportProgress: !!options.onProgress }, options.onProgress)
      .reply
    return new ObjectIds(ids!.table, ids!.maxStableId)
  }
  const parser = new SnapshotParser(path, 'ids')
  await readSnapshotFile(path, parser, options.onProgress)
  return parser.objectIds()
}

async function fileBytes(path: string): Promise<number> {
  try {
    return (await stat(path)).size
  } catch {
    return 0 // the read says what is wrong with the file
  }
}

/** A parse on a worker thread (parse-thread.ts): its one answer (errors rejected as thrown there), and a way to stop it. */
function onThread(
  request: ParseThreadRequest,
  onProgress?: (bytesRead: number, totalBytes: number) => void,
): { reply: Promise<ParseThreadReply>; stop: () => void } {
  const worker = new Worker(builtEntry('parse-thread.js'), { workerData: request })
  const reply = new Promise<ParseThreadReply>((resolve, reject) => {
    worker.on('message', (message: ParseThreadReply) => {
      if (message.progress) onProgress?.(...message.progress)
      else if (!message.error) resolve(message)
      else if (message.error.code)
        reject(new SnapshotError(message.error.code, message.error.message.replace(/^leakproof: /, '')))
      else reject(new Error(message.error.message))
    })
    worker.once('error', reject)
    worker.once('exit', () =>
      reject(new Error(`leakproof: the thread reading ${request.path} exited before answering`)),
    )
  })
  // Stopped when the caller's own part failed: that error is the one reported.
  reply.catch(() => {})
  return { reply, stop: () => void worker.terminate() }
}
