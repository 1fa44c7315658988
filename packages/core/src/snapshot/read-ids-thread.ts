// Entry of the worker thread explain.ts starts to read the "before" snapshot of a diff from its file
// (parseObjectIds) while the calling thread reads the "after" one: the two parses share nothing,
// so on two cores they take the time of the longer. The id table comes back transferred, not copied.
import { parentPort, workerData } from 'node:worker_threads'
import { SnapshotError } from './errors.js'
import { parseObjectIds } from './parse.js'

export interface ReadIdsReply {
  progress?: [bytesRead: number, totalBytes: number]
  ids?: { table: Uint32Array; maxStableId: number }
  error?: { code?: SnapshotError['code']; message: string }
}

const send = (reply: ReadIdsReply, transfer: ArrayBuffer[] = []): void => parentPort!.postMessage(reply, transfer)

parseObjectIds(workerData.path as string, {
  onProgress: workerData.reportProgress ? (read, total) => send({ progress: [read, total] }) : undefined,
}).then(
  ({ table, maxStableId }) => send({ ids: { table, maxStableId } }, [table.buffer as ArrayBuffer]),
  (error: unknown) =>
    send({
      error: {
        code: error instanceof SnapshotError ? error.code : undefined,
        message: error instanceof Error ? error.message : String(error),
      },
    }),
)
