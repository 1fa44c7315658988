import { closeSync, openSync, writeSync } from 'node:fs'
import { Worker } from 'node:worker_threads'
import { captureHeapSnapshot } from './capture.js'
import { builtEntry } from './entry-file.js'
import { SnapshotError, type SnapshotErrorCode } from './errors.js'
import type { DiffOptions, Explanation, ObjectsExplanation } from './explain.js'

/** What the host posts to the analysis thread. */
export type AnalysisRequest =
  | { type: 'begin'; snapshot: 'before' | 'after'; source: string }
  | { type: 'chunk'; chunk: string }
  | { type: 'end'; snapshot: 'before' | 'after' }
  | { type: 'explain-leak'; options: DiffOptions }
  | { type: 'explain-objects'; ids: number[]; root: string }

/** One answer per `end` or `explain-…` request, in order. */
export interface AnalysisReply {
  result?: unknown
  error?: { code?: SnapshotErrorCode; message: string }
}

/**
 * Heap snapshots of this isolate captured straight into a parser on a worker thread: each chunk
 * V8 writes is posted to the thread and parsed there while V8 goes on writing (the parse overlaps
 * the capture, on the other core), and nothing touches the disk unless a file is asked for.
 *
 * The thread is its own isolate: the hundreds of MB of typed arrays the parse allocates are
 * neither in this isolate's heap nor in its external memory, which the heap probe measures (seen,
 * when the parse ran in the test worker itself: backing stores freed on a background thread after
 * a GC hid the growth of the next tests), and they are gone at once when the thread ends.
 *
 *   const analysis = new StreamedAnalysis()
 *   await analysis.capture('before')
 *   …one more run of the leak…
 *   await analysis.capture('after', keptFile)
 *   const explanation = await analysis.explainLeak({ root, maxGroups: 10, maxPaths: 3 })
 *   await analysis.close()
 */
export class StreamedAnalysis {
  private readonly worker = new Worker(builtEntry('analysis-thread.js'))
  private readonly waiting: Array<{ resolve: (value: unknown) => void; reject: (error: Error) => void }> = []
  private failed: Error | undefined

  constructor() {
    this.worker.on('message', (reply: AnalysisReply) => {
      const next = this.waiting.shift()
      if (!next) return
      if (reply.error) {
        const { code, message } = reply.error
        next.reject(code ? new SnapshotError(code, message.replace(/^leakproof: /, '')) : new Error(message))
      } else next.resolve(reply.result)
    })
    const fail = (error: Error): void => {
      this.failed = error
      for (const next of this.waiting.splice(0)) next.reject(error)
    }
    this.worker.on('error', fail)
    this.worker.on('exit', (code) =>
      fail(new Error(`leakproof: the snapshot analysis thread exited (code ${code}) before answering`)),
    )
  }

  /** Captures a snapshot of this isolate into the thread (and into `file`, when given: `keepSnapshots`). */
  async capture(snapshot: 'before' | 'after', file?: string): Promise<void> {
    this.post({ type: 'begin', snapshot, source: file ?? `the ${snapshot} heap snapshot` })
    const fd = file === undefined ? undefined : openSync(file, 'w')
    try {
      await captureHeapSnapshot(
        (chunk) => {
          this.post({ type: 'chunk', chunk })
          if (fd !== undefined) writeSync(fd, chunk)
        },
        // Only ids, types and names are read of the before (object-ids.ts).
        { numericValues: snapshot === 'after' },
      )
    } finally {
      if (fd !== undefined) closeSync(fd)
    }
    await this.ask({ type: 'end', snapshot })
  }

  /** The new objects of `after` and what holds them; both snapshots captured first. */
  explainLeak(options: DiffOptions): Promise<Omit<Explanation, 'parsedIn'>> {
    return this.ask({ type: 'explain-leak', options }) as Promise<Omit<Explanation, 'parsedIn'>>
  }

  /** What holds each object of `ids` in the `after` snapshot. */
  explainObjects(ids: number[], root: string): Promise<Omit<ObjectsExplanation, 'parsedIn'>> {
    return this.ask({ type: 'explain-objects', ids, root }) as Promise<Omit<ObjectsExplanation, 'parsedIn'>>
  }

  async close(): Promise<void> {
    this.worker.removeAllListeners('exit')
    await this.worker.terminate()
  }

  /** Never throws: it runs inside the inspector's chunk event. A dead thread fails the next {@link ask}. */
  private post(request: AnalysisRequest): void {
    if (!this.failed) this.worker.postMessage(request)
  }

  private ask(request: AnalysisRequest): Promise<unknown> {
    if (this.failed) return Promise.reject(this.failed)
    this.post(request)
    return new Promise((resolve, reject) => this.waiting.push({ resolve, reject }))
  }
}
