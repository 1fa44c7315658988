/**
 * Heap snapshots for confirmed findings: what holds a retained leak (two snapshots around one more
 * run) or an object that survived (one snapshot, the path to it). Only ever runs for a finding that
 * stands; a snapshot that cannot be taken leaves the finding without its "retained by" section.
 */
import { mkdirSync } from 'node:fs'
import { join, resolve } from 'node:path'
import { setImmediate as nextMacrotask } from 'node:timers/promises'
import type { RetainedBy } from './findings.js'
import { heapObjectId } from './snapshot/capture.js'
import { StreamedAnalysis } from './snapshot/streamed-analysis.js'

export interface SnapshotPlace {
  root: string
  /** `keepSnapshots`: the folder to keep the files in, or false to write none. */
  keep: string | false
  /** `file test name`, for the kept files' names. */
  name: string
}

/** Where a finding's snapshots are kept (`keepSnapshots`); without it, they are never written. */
interface KeptFiles {
  before: string
  after: string
}

/**
 * One more run of a confirmed leak between two heap snapshots: the objects new in the second
 * are the leak, and the shortest strong path from a GC root to them is what holds it. Both
 * snapshots are parsed on a worker thread while they are captured (streamed-analysis.ts).
 */
export function explainRetained(
  place: SnapshotPlace,
  runOnce: () => Promise<void>,
): Promise<RetainedBy & { newSelfSize?: number }> {
  return withAnalysis(
    place,
    async (analysis, kept): Promise<RetainedBy & { newSelfSize?: number }> => {
      await analysis.capture('before', kept?.before)
      await runOnce()
      await analysis.capture('after', kept?.after)
      const { text, groups, paths, total } = await analysis.explainLeak({ root: place.root })
      return { text, groups, paths, newSelfSize: total.selfSize, ...(kept && { snapshots: kept }) }
    },
    (unavailable) => ({ unavailable }),
  )
}

/**
 * What holds each object that survived (watched objects, detached trees' roots): one snapshot, the
 * path from a GC root to each. An object collected before the snapshot (`undefined` in the result)
 * was not held for good: whatever kept it let go.
 */
export function explainAlive(
  place: SnapshotPlace,
  refs: Array<WeakRef<object>>,
): Promise<Array<RetainedBy | undefined>> {
  return withAnalysis(
    place,
    async (analysis, kept): Promise<Array<RetainedBy | undefined>> => {
      // Reading a WeakRef keeps its target alive to the end of the macrotask, from a root of its
      // own: that root would be the shortest path.
      await nextMacrotask()
      await analysis.capture('after', kept?.after)
      // V8 gives objects their ids when a snapshot is taken; they keep them in later ones.
      const ids: number[] = []
      for (const ref of refs) {
        const object = ref.deref()
        ids.push(object ? await heapObjectId(object) : -1)
      }
      const asked = ids.filter((id) => id >= 0)
      const { objects, texts, contextSizes } =
        asked.length > 0
          ? await analysis.explainObjects(asked, place.root)
          : { objects: [], texts: [], contextSizes: [] }
      let next = 0
      return ids.map((id) => {
        if (id < 0) return undefined
        const i = next++
        const o = objects[i]!
        // Held by weak references only (or gone): it goes at the next GC.
        if (!('path' in o)) return undefined
        return {
          text: texts[i]!,
          groups: [],
          paths: [
            {
              group: 'alive after the test',
              id: o.id,
              distance: o.distance,
              steps: o.path,
              ...(contextSizes[i]! > 0 && { contextSize: contextSizes[i]! }),
            },
          ],
          ...(kept && { snapshots: { after: kept.after } }),
        }
      })
    },
    (unavailable) => refs.map(() => ({ unavailable })),
  )
}

/**
 * Runs `use` with an analysis thread (and the files to keep the snapshots in, when asked). A
 * snapshot that cannot be taken or read (no room on disk, a folder that cannot be made, V8's
 * capture failing) leaves the finding without its "retained by" section: `unavailable` gets
 * the reason, and the finding is reported as it is.
 */
async function withAnalysis<T>(
  place: SnapshotPlace,
  use: (analysis: StreamedAnalysis, kept: KeptFiles | undefined) => Promise<T>,
  unavailable: (reason: string) => T,
): Promise<T> {
  let analysis: StreamedAnalysis | undefined
  try {
    analysis = new StreamedAnalysis()
    return await use(analysis, place.keep ? keptFiles(place.root, place.keep, place.name) : undefined)
  } catch (error) {
    return unavailable(`the heap snapshot could not be taken or read: ${(error as Error)?.message ?? error}`)
  } finally {
    await analysis?.close()
  }
}

/** Kept snapshots are named after the test, in the `keepSnapshots` folder. */
function keptFiles(root: string, keep: string, testName: string): KeptFiles {
  return {
    before: keptSnapshotFile(root, keep, testName, 'before'),
    after: keptSnapshotFile(root, keep, testName, 'after'),
  }
}

/** Where a kept snapshot of `name` (a test's, a file's) goes: `<keep>/<name>.<which>.heapsnapshot`, the folder made. */
export function keptSnapshotFile(root: string, keep: string, name: string, which: string): string {
  const dir = resolve(root, keep)
  mkdirSync(dir, { recursive: true })
  return join(dir, `${fileNameOf(name)}.${which}.heapsnapshot`)
}

/** A file name from a test's file and name: letters, digits, `.`, `_` and `-`, at most 120 characters. */
function fileNameOf(text: string): string {
  return text
    .replace(/[^A-Za-z0-9._-]+/g, '-')
    .replace(/^-+|-+$/g, '')
    .slice(0, 120)
}
