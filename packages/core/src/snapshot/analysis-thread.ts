// Entry of the worker thread a StreamedAnalysis starts (streamed-analysis.ts): it parses the heap
// snapshot chunks its host posts while the host goes on, keeps what each snapshot is needed for
// (the "before" reduced to ids), and answers one question about them.
import { parentPort } from 'node:worker_threads'
import { explainDiff, explainObjectsIn } from './explain.js'
import { SnapshotError } from './errors.js'
import { HeapSnapshot } from './heap-snapshot.js'
import type { ObjectIds } from './object-ids.js'
import { SnapshotParser } from './snapshot-parser.js'
import type { AnalysisReply, AnalysisRequest } from './streamed-analysis.js'

let parser: SnapshotParser | undefined
let before: ObjectIds | undefined
let after: HeapSnapshot | undefined
/** A parse error is answered when the snapshot ends, not at the chunk that caused it. */
let failure: unknown

const reply = (message: AnalysisReply): void => parentPort!.postMessage(message)

function answer(work: () => unknown): void {
  try {
    if (failure) throw failure
    reply({ result: work() })
  } catch (error) {
    reply({
      error: {
        code: error instanceof SnapshotError ? error.code : undefined,
        message: error instanceof Error ? error.message : String(error),
      },
    })
  }
}

parentPort!.on('message', (request: AnalysisRequest) => {
  switch (request.type) {
    case 'begin':
      parser = new SnapshotParser(request.source, request.snapshot === 'before' ? 'ids' : 'graph')
      failure = undefined
      return
    case 'chunk':
      if (failure) return
      try {
        parser!.write(request.chunk)
      } catch (error) {
        failure = error
      }
      return
    case 'end':
      return answer(() => {
        if (request.snapshot === 'before') before = parser!.objectIds()
        else after = new HeapSnapshot(parser!.graph())
        parser = undefined
        return null
      })
    case 'explain-leak':
      return answer(() => explainDiff(before!, after!, request.options))
    case 'explain-objects':
      return answer(() => explainObjectsIn(after!, request.ids, request.root))
  }
})
