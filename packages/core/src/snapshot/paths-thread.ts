// Entry of the worker thread paths-on-thread.ts starts: the shortest paths of a graph whose columns
// (and retaining-edge mask) are in shared memory, read where they are; the two result arrays go
// back transferred. Only the graph, the mask's rules and the search are loaded here.
import { parentPort } from 'node:worker_threads'
import { HeapSnapshot, type SharedGraph } from './heap-snapshot.js'
import { shortestPaths } from './paths.js'
import { adoptRetainingEdges } from './retaining-edges.js'

export interface PathsRequest {
  graph: SharedGraph
  retaining: Uint8Array
}

parentPort!.once('message', ({ graph, retaining }: PathsRequest) => {
  const snapshot = HeapSnapshot.of(graph)
  adoptRetainingEdges(snapshot, retaining)
  const { distance, via } = shortestPaths(snapshot)
  parentPort!.postMessage({ distance, via }, [distance.buffer, via.buffer] as ArrayBuffer[])
})
