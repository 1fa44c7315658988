/**
 * The heap snapshot engine: capture, parse, diff, dominators, retainer paths, folding, text.
 * No test framework inside; adapters and the CLI call it for confirmed leaks only (capture costs
 * seconds per 100 MB of heap).
 *
 * One call does it all:
 *
 *   await writeHeapSnapshot(before)            // in the leaking process/worker, before one more run
 *   …run the leaking window once more…
 *   await writeHeapSnapshot(after)
 *   const e = await explainLeak({ before, after, root, maxGroups: 10, maxPaths: 3 })
 *   e.text    // "retained by" + cycle + "new objects" sections, ready for a LeakError
 *   e.groups  // [{ name: 'Object {requestId, name, tags}', count, selfSize, retainedSize }]
 *   e.paths   // per top group: { group, id (V8 object id), distance, steps: FoldedStep[], cycle? }
 *
 * A test worker does not write files: the detector captures straight into a parser on a worker
 * thread (streamed-analysis.ts), and files only when `keepSnapshots` asks for them.
 *
 * - `writeHeapSnapshot(path): Promise<{ path, bytes }>` — streamed to disk as V8 writes it;
 *   `captureHeapSnapshot(onChunk)` hands the chunks to any consumer (a `SnapshotParser`).
 * - `explainLeak(options): Promise<Explanation>` — parses in-process or in a child process
 *   (`whereToParse`), so a worker with a 200 MB heap can explain itself. Plain JSON result.
 *   `onProgress(bytesRead, totalBytes)` sees both files being read, from either process.
 * - `parseHeapSnapshot(path, { onProgress, worker }): Promise<HeapSnapshot>` — streaming, compact
 *   typed columns, strings decoded when asked, a large file's edges read on a second thread;
 *   `parseObjectIds(path)` reads only what the "before" of a diff needs;
 *   `new SnapshotParser(source, mode)` takes the bytes in chunks from anywhere.
 * - `diffSnapshots(before, after)`, `dominators(snapshot)`, `pathFromRoot`, `foldPath`,
 *   `formatRetainerPath`, `formatGroups` — the pieces, for the CLI's `diff` and `inspect`.
 *
 * Errors are `SnapshotError`s with a stable `code`: LEAKPROOF_SNAPSHOT_MISSING,
 * LEAKPROOF_SNAPSHOT_INVALID (not a heap snapshot, or truncated), LEAKPROOF_SNAPSHOT_MISMATCH
 * (the two snapshots are not of one process, or are swapped).
 */
export {
  captureHeapSnapshot,
  heapObjectId,
  writeHeapSnapshot,
  type CaptureOptions,
  type CapturedSnapshot,
} from './capture.js'
export { parseHeapSnapshot, parseObjectIds, type ParseOptions } from './parse.js'
export { SnapshotParser, type ParseMode } from './snapshot-parser.js'
export { ObjectIds } from './object-ids.js'
export { StringTable } from './string-table.js'
export { HeapSnapshot, type ScriptLocation } from './heap-snapshot.js'
export { dominators, type Dominators } from './dominators.js'
export { diffSnapshots, assertSameIsolate, type ObjectGroup, type SnapshotDiff } from './diff.js'
export { pathFromRoot, cycleThrough, shortestPaths, type PathHop } from './paths.js'
export { foldPath, foldCycle, type FoldedStep } from './fold.js'
export { formatRetainerPath, formatGroups } from './format-retainers.js'
export { whereToParse, type ParseDecision, type ParseLocation } from './where-to-parse.js'
export {
  explainLeak,
  explainObjects,
  type ExplainOptions,
  type Explanation,
  type ObjectsExplanation,
  type ObjectsOptions,
} from './explain.js'
export { objectPath, type ObjectPath } from './object-path.js'
export { SnapshotError, type SnapshotErrorCode } from './errors.js'
