// Entry of the child process explainLeak() forks when the snapshots are too big to parse in the
// caller: it runs the same analysis and sends back the plain-JSON result (or the error), then exits.
import { explainHere, explainObjectsHere, type ChildReply, type ChildRequest } from './explain.js'
import { SnapshotError } from './errors.js'

process.once('message', (request: ChildRequest) => {
  const onProgress = request.reportProgress
    ? (bytesRead: number, totalBytes: number) =>
        process.send!({ progress: [bytesRead, totalBytes] } satisfies ChildReply)
    : undefined
  const work =
    request.task === 'leak' ? explainHere({ ...request.options, onProgress }) : explainObjectsHere(request.options)
  work.then(
    (result) => process.send!({ result } satisfies ChildReply),
    (error: unknown) =>
      process.send!({
        error: {
          code: error instanceof SnapshotError ? error.code : undefined,
          message: error instanceof Error ? error.message : String(error),
        },
      } satisfies ChildReply),
  )
})
