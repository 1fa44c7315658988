import { Worker } from 'node:worker_threads'
import { builtEntry } from './entry-file.js'
import type { HeapSnapshot } from './heap-snapshot.js'
import { adoptShortestPaths, shortestPaths, type ShortestPaths } from './paths.js'
import type { PathsRequest } from './paths-thread.js'
import { retainingEdges } from './retaining-edges.js'

/**
 * {@link shortestPaths} of `s` found on a worker thread (paths-thread.ts) while this thread does
 * something else, typically the dominators: the two share nothing but the graph and the
 * retaining-edge mask (built here first), which the thread reads in shared memory, so on two cores
 * they take the time of the longer. Once resolved, `shortestPaths(s)` answers with the thread's
 * result. Rejects when the thread fails; `shortestPaths(s)` then still works, here.
 */
export async function shortestPathsOnThread(s: HeapSnapshot): Promise<ShortestPaths> {
  const request: PathsRequest = { graph: s.shareable(), retaining: retainingEdges(s) }
  const worker = new Worker(builtEntry('paths-thread.js'))
  try {
    const paths = await new Promise<ShortestPaths>((resolve, reject) => {
      worker.once('message', resolve)
      worker.once('error', reject)
      worker.once('exit', () => reject(new Error('leakproof: the shortest-paths thread exited before answering')))
      worker.postMessage(request)
    })
    adoptShortestPaths(s, paths)
    return paths
  } finally {
    void worker.terminate()
  }
}
