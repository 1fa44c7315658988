// Entry of the worker thread parse.ts starts to read part of a heap snapshot file while the calling
// thread reads another: the "before" snapshot of a diff reduced to its ids (mode `ids`), or the
// edges section of the file the calling thread reads all but (mode `edges`). The parses share
// nothing, so on two cores they take the time of the longer. Results come back transferred, not
// copied. Only the parser and the file reader are loaded here: a thread starts in a few ms.
import { parentPort, workerData } from 'node:worker_threads'
import { SnapshotError } from './errors.js'
import { readSnapshotFile } from './read-snapshot-file.js'
import { SnapshotParser, type EdgeColumns } from './snapshot-parser.js'

export interface ParseThreadRequest {
  path: string
  mode: 'ids' | 'edges'
  reportProgress: boolean
}

export interface ParseThreadReply {
  progress?: [bytesRead: number, totalBytes: number]
  ids?: { table: Uint32Array; maxStableId: number }
  edges?: EdgeColumns
  error?: { code?: SnapshotError['code']; message: string }
}

const send = (reply: ParseThreadReply, transfer: ArrayBuffer[] = []): void => parentPort!.postMessage(reply, transfer)

async function parse({ path, mode, reportProgress }: ParseThreadRequest): Promise<void> {
  const parser = new SnapshotParser(path, mode)
  await readSnapshotFile(path, parser, reportProgress ? (read, total) => send({ progress: [read, total] }) : undefined)
  if (mode === 'ids') {
    const { table, maxStableId } = parser.objectIds()
    send({ ids: { table, maxStableId } }, [table.buffer as ArrayBuffer])
  } else {
    const edges = parser.edgeColumns()
    send({ edges }, [edges.edgeType.buffer, edges.edgeName.buffer, edges.edgeTo.buffer] as ArrayBuffer[])
  }
}

parse(workerData as ParseThreadRequest).catch((error: unknown) =>
  send({
    error: {
      code: error instanceof SnapshotError ? error.code : undefined,
      message: error instanceof Error ? error.message : String(error),
    },
  }),
)
