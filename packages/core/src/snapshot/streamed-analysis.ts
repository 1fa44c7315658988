import { closeSync, openSync, writeSync } from 'node:fs'
import { Worker } from 'node:worker_threads'
import { captureHeapSnapshot } from './capture.js'
import { builtEntry } from './entry-file.js'
import { SnapshotError, type SnapshotErrorCode } from './errors.js'
import type { DiffOptions, Explanation, ObjectsExplanation } from './explain.js'

/** What the host posts to the analysis thread. */
export type AnalysisRequest =
  | { type: 'begin'; snapshot: 'before' | 'after'; source: string }
  | { type: 'chunk'; chunk: Uint8Array }
  | { type: 'end'; snapshot: 'before' | 'after' }
  | { type: 'explain-leak'; options: DiffOptions }
  | { type: 'explain-objects'; ids: number[]; root: string }

/** One answer per `end` or `explain-…` request, in order. */
export interface AnalysisReply {
  result?: unknown
  error?: { code?: SnapshotErrorCode; message: string }
}

/**
 * Heap snapshots of this isolate captured straight into a parser on a worker thread: the chunks V8
 * writes are moved to the thread and parsed there, on the other core (the before's parse overlaps
 * the leak's one more run and the after's capture), and nothing touches the disk unless a file is
 * asked for.
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
  /** The thread's answer to the end of each snapshot captured: its parse, done or failed. */
  private readonly parses: Array<Promise<unknown>> = []

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
          if (fd !== undefined) writeSync(fd, chunk)
          // Moved, not copied, when the chunk owns its memory (as Node's snapshot stream's do): it is
          // not used here again. A chunk that shares its memory is copied.
          const owns = chunk.byteOffset === 0 && chunk.byteLength === chunk.buffer.byteLength
          this.post({ type: 'chunk', chunk }, owns ? [chunk.buffer as ArrayBuffer] : [])
        },
        // Only ids, types and names are read of the before (object-ids.ts).
        { numericValues: snapshot === 'after' },
      )
    } finally {
      if (fd !== undefined) closeSync(fd)
    }
    // Not awaited here: the thread parses the before while this isolate runs the leak once more
    // and captures the after. A parse that failed fails the question asked next.
    const parsed = this.ask({ type: 'end', snapshot })
    parsed.catch(() => {})
    this.parses.push(parsed)
  }

  /** The new objects of `after` and what holds them; both snapshots captured first. */
  async explainLeak(options: DiffOptions): Promise<Omit<Explanation, 'parsedIn'>> {
    await Promise.all(this.parses)
    return (await this.ask({ type: 'explain-leak', options })) as Omit<Explanation, 'parsedIn'>
  }

  /** What holds each object of `ids` in the `after` snapshot. */
  async explainObjects(ids: number[], root: string): Promise<Omit<ObjectsExplanation, 'parsedIn'>> {
    await Promise.all(this.parses)
    return (await this.ask({ type: 'explain-objects', ids, root })) as Omit<ObjectsExplanation, 'parsedIn'>
  }

  async close(): Promise<void> {
    this.worker.removeAllListeners('exit')
    await this.worker.terminate()
  }

  /** Never throws: it runs inside the snapshot stream's chunk event. A dead thread fails the next {@link ask}. */
  private post(request: AnalysisRequest, transfer: ArrayBuffer[] = []): void {
    if (!this.failed) this.worker.postMessage(request, transfer)
  }

  private ask(request: AnalysisRequest): Promise<unknown> {
    if (this.failed) return Promise.reject(this.failed)
    this.post(request)
    return new Promise((resolve, reject) => this.waiting.push({ resolve, reject }))
  }
}
