import { fork } from 'node:child_process'
import { stat } from 'node:fs/promises'
import { diffSnapshots } from './diff.js'
import { dominators } from './dominators.js'
import { builtEntry } from './entry-file.js'
import { SnapshotError, type SnapshotErrorCode } from './errors.js'
import { foldCycle, foldPath, type FoldedStep } from './fold.js'
import { formatGroups, formatRetainerPath, formatSteps } from './format-retainers.js'
import { contextSize, objectPath, type ObjectPath } from './object-path.js'
import type { HeapSnapshot } from './heap-snapshot.js'
import type { ObjectIds } from './object-ids.js'
import { parseHeapSnapshot, parseObjectIds } from './parse.js'
import { cycleThrough, pathFromRoot, shortestPaths } from './paths.js'
import { childHeapLimitMb, whereToParse, type ParseLocation } from './where-to-parse.js'

export interface ExplainOptions {
  /** Snapshot taken before one more run of the leaking window. */
  before: string
  /** Snapshot taken after it, in the same process (thread). */
  after: string
  /** Files in the text print relative to this directory. */
  root: string
  /** Groups listed (biggest retained size first). Default 10. */
  maxGroups?: number
  /** Groups given a retainer path. Default 3. */
  maxPaths?: number
  /** Force where the snapshots are parsed; by default {@link whereToParse} decides. */
  parseIn?: ParseLocation
  /**
   * Called as the snapshots are read (both files together: bytes read so far, both files' size),
   * also when they are parsed in a child process. For a progress bar (the CLI's).
   */
  onProgress?: (bytesRead: number, totalBytes: number) => void
}

/** What a leak consists of and what holds it. Plain JSON: it crosses processes and goes into reports. */
export interface Explanation {
  schemaVersion: 1
  /** New objects in `after`, grouped, biggest retained size first (at most `maxGroups`). */
  groups: Array<{ name: string; count: number; selfSize: number; retainedSize: number }>
  /** All new objects (V8 internals left out), beyond the listed groups too. */
  total: { count: number; selfSize: number }
  /** One per top group (at most `maxPaths`), for the group's object nearest to a GC root. */
  paths: Array<{
    group: string
    /** The V8 object id of that object in `after` (DevTools shows it as `@id`; `leakproof inspect --path-to` takes it). */
    id: number
    /** Strong references from the GC root to that object, before folding. */
    distance: number
    steps: FoldedStep[]
    /** When the object is on a cycle of new objects: the cycle from it back to it. */
    cycle?: FoldedStep[]
    /** For a context's global that survived (a test file's): bytes of its whole context (object-path.ts `contextSize`). */
    contextSize?: number
  }>
  /** Where the snapshots were parsed, and the memory figures that decided it. */
  parsedIn: { where: ParseLocation; reason: string }
  /** The report sections ("retained by", cycle, new objects) as plain text, files relative to `root`. */
  text: string
}

/**
 * Explains a confirmed leak from two snapshots of one process: the new objects, grouped, and the
 * shortest strong path from a GC root to each of the biggest groups, folded for people. Parses in
 * this process or in a child (see where-to-parse.ts), so a worker with a small heap can explain
 * its own leak. Throws {@link SnapshotError} for missing, unreadable or mismatched snapshots.
 */
export async function explainLeak(options: ExplainOptions): Promise<Explanation> {
  const bytes = (await Promise.all([options.before, options.after].map(fileSize))).reduce((a, b) => a + b, 0)
  const decision = options.parseIn ? { where: options.parseIn, reason: 'chosen by the caller' } : whereToParse(bytes)
  const result = decision.where === 'in-process' ? await explainHere(options) : await explainInChild(options, bytes)
  return { ...result, parsedIn: decision }
}

async function fileSize(path: string): Promise<number> {
  try {
    return (await stat(path)).size
  } catch {
    throw new SnapshotError(
      'LEAKPROOF_SNAPSHOT_MISSING',
      `heap snapshot ${path} does not exist or cannot be read; check the path, or capture one with writeHeapSnapshot().`,
    )
  }
}

/** The whole analysis in the calling process (also what the child process runs). */
export async function explainHere(options: ExplainOptions): Promise<Omit<Explanation, 'parsedIn'>> {
  const [beforeBytes, afterBytes] = await Promise.all([fileSize(options.before), fileSize(options.after)])
  const total = afterBytes + beforeBytes
  const read = { before: 0, after: 0 }
  const report =
    options.onProgress &&
    ((file: keyof typeof read) => (bytes: number) => {
      read[file] = bytes
      options.onProgress!(read.before + read.after, total)
    })
  // Of `before`, the diff needs only ids, types and names (its edges are never stored), read on a
  // thread of its own while this one reads `after`. What needs `after` alone (dominators, shortest
  // paths: memoised, explainDiff finds them done) starts as soon as it is read, while the other
  // thread may still be reading `before`.
  const [before, after] = await Promise.all([
    parseObjectIds(options.before, { worker: true, onProgress: report?.('before') }),
    parseHeapSnapshot(options.after, { onProgress: report?.('after') }).then((snapshot) => {
      dominators(snapshot)
      shortestPaths(snapshot)
      return snapshot
    }),
  ])
  return explainDiff(before, after, options)
}

export type DiffOptions = Pick<ExplainOptions, 'root' | 'maxGroups' | 'maxPaths'>

/** The analysis of two parsed snapshots, wherever they were parsed (from files, or streamed from a capture). */
export function explainDiff(
  before: ObjectIds,
  after: HeapSnapshot,
  { root, maxGroups = 10, maxPaths = 3 }: DiffOptions,
): Omit<Explanation, 'parsedIn'> {
  const { groups, isNew } = diffSnapshots(before, after)
  const { distance } = shortestPaths(after)
  const paths: Explanation['paths'] = []
  // Strings and numbers are what objects hold, not what holds them: the path of an object group
  // says more (the keys of a leaking Map are strings, its values objects).
  const primitive = (g: { name: string }): boolean => /^(string|number|bigint|symbol|.* string)$/.test(g.name)
  for (const group of [...groups.filter((g) => !primitive(g)), ...groups.filter(primitive)].slice(0, maxPaths)) {
    const { representative } = group
    const hops = pathFromRoot(after, representative)
    if (!hops) continue
    const steps = foldPath(after, hops)
    const last = steps[steps.length - 1]
    if (last) Object.assign(last, { count: group.count, size: group.retainedSize })
    const cycle = cycleThrough(after, representative, isNew)
    paths.push({
      group: group.name,
      id: after.nodeId(representative),
      distance: distance[representative]!,
      steps,
      ...(cycle && { cycle: foldCycle(after, representative, cycle) }),
    })
  }
  const listed = groups
    .slice(0, maxGroups)
    .map(({ name, count, selfSize, retainedSize }) => ({ name, count, selfSize, retainedSize }))
  const total = groups.reduce((sum, g) => ({ count: sum.count + g.count, selfSize: sum.selfSize + g.selfSize }), {
    count: 0,
    selfSize: 0,
  })
  const text = formatExplanation(listed, paths, root)
  return { schemaVersion: 1, groups: listed, total, paths, text }
}

function formatExplanation(groups: Explanation['groups'], paths: Explanation['paths'], root: string): string {
  const sections: string[] = []
  const top = paths[0]
  if (top) {
    sections.push(formatRetainerPath(top.steps, root))
    if (top.cycle)
      sections.push(
        [
          `  the new ${top.group} objects form a retained cycle (breaking any one reference frees it)`,
          ...formatSteps(top.cycle, root, 4),
        ].join('\n'),
      )
  }
  // The capture's own few hundred bytes (its promises, its inspector messages) are new objects
  // too: groups under 1 KB are counted, not listed.
  const listed = groups.filter((g) => g.retainedSize >= 1024)
  if (listed.length) sections.push(formatGroups(listed, undefined, groups.length - listed.length))
  return sections.join('\n\n')
}

export interface ObjectsOptions {
  /** One snapshot of the process that holds the objects. */
  snapshot: string
  /** V8 ids of the objects (`HeapProfiler.getHeapObjectId`, `@12345` in DevTools). */
  ids: number[]
  /** Files in the text print relative to this directory. */
  root: string
  parseIn?: ParseLocation
}

export interface ObjectsExplanation {
  /** One per id, in order. */
  objects: ObjectPath[]
  /** One "retained by" section per object, as a leak report prints it. */
  texts: string[]
  /** Per object, for a context's global: bytes of its whole context ({@link contextSize}); else 0. */
  contextSizes: number[]
  parsedIn: { where: ParseLocation; reason: string }
}

/**
 * What holds each of a few objects still alive in one snapshot (a watched object that was not
 * collected): the shortest strong path from a GC root, folded. Parsed here or in a child, as for
 * {@link explainLeak}.
 */
export async function explainObjects(options: ObjectsOptions): Promise<ObjectsExplanation> {
  const bytes = await fileSize(options.snapshot)
  const decision = options.parseIn ? { where: options.parseIn, reason: 'chosen by the caller' } : whereToParse(bytes)
  const result =
    decision.where === 'in-process'
      ? await explainObjectsHere(options)
      : await inChild<Omit<ObjectsExplanation, 'parsedIn'>>(
          { task: 'objects', options: { ...options, parseIn: 'in-process' } },
          bytes,
        )
  return { ...result, parsedIn: decision }
}

export async function explainObjectsHere(options: ObjectsOptions): Promise<Omit<ObjectsExplanation, 'parsedIn'>> {
  return explainObjectsIn(await parseHeapSnapshot(options.snapshot), options.ids, options.root)
}

/** What holds each object of `ids` in a parsed snapshot. */
export function explainObjectsIn(
  snapshot: HeapSnapshot,
  ids: number[],
  root: string,
): Omit<ObjectsExplanation, 'parsedIn'> {
  const objects = ids.map((id) => objectPath(snapshot, id))
  const contextSizes = objects.map((o) => ('path' in o ? contextSize(snapshot, snapshot.nodeOfId(o.id)) : 0))
  const texts = objects.map((o) =>
    'path' in o
      ? formatRetainerPath(o.path, root)
      : `  retained by: @${o.id} is ${o.missing === 'no such object' ? 'not in the snapshot' : 'held by weak references only'}`,
  )
  return { objects, texts, contextSizes }
}

/** What the child sends: progress messages (when asked for), then one result or error. */
export interface ChildReply {
  progress?: [bytesRead: number, totalBytes: number]
  result?: unknown
  error?: { code?: SnapshotErrorCode; message: string }
}

/** What the child is asked to do: plain data, a progress callback replaced by a flag. */
export type ChildRequest =
  | { task: 'leak'; options: Omit<ExplainOptions, 'onProgress'>; reportProgress: boolean }
  | { task: 'objects'; options: ObjectsOptions; reportProgress?: false }

function explainInChild(options: ExplainOptions, bytes: number): Promise<Omit<Explanation, 'parsedIn'>> {
  const { onProgress, ...plain } = options
  return inChild(
    { task: 'leak', options: { ...plain, parseIn: 'in-process' }, reportProgress: onProgress !== undefined },
    bytes,
    onProgress,
  )
}

async function inChild<T>(
  request: ChildRequest,
  bytes: number,
  onProgress?: (bytesRead: number, totalBytes: number) => void,
): Promise<T> {
  const child = fork(builtEntry('explain-child.js'), [], {
    execArgv: [`--max-old-space-size=${childHeapLimitMb(bytes)}`],
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    serialization: 'advanced',
  })
  const reply = await new Promise<ChildReply>((resolve, reject) => {
    child.on('message', (message: ChildReply) => {
      if (message.progress) onProgress?.(...message.progress)
      else resolve(message)
    })
    child.once('error', reject)
    child.once('exit', (code, signal) =>
      reject(
        new Error(`leakproof: the snapshot analysis process exited (${signal ?? `code ${code}`}) before answering`),
      ),
    )
    child.send(request)
  })
  child.disconnect()
  if (reply.error) {
    const { code, message } = reply.error
    throw code ? new SnapshotError(code, message.replace(/^leakproof: /, '')) : new Error(message)
  }
  return reply.result as T
}
