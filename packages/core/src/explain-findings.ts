/**
 * Heap snapshots for confirmed findings: what holds a retained leak (two snapshots around one more
 * run) or an object that survived (one snapshot, the path to it). Only ever runs for a finding that
 * stands; a snapshot that cannot be taken leaves the finding without its "retained by" section.
 */
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { setImmediate as nextMacrotask } from 'node:timers/promises'
import type { RetainedBy } from './findings.js'
import { heapObjectId, writeHeapSnapshot } from './snapshot/capture.js'
import { explainLeak, explainObjects } from './snapshot/explain.js'

export interface SnapshotPlace {
  root: string
  /** `keepSnapshots`: the folder to keep the files in, or false for a temporary one. */
  keep: string | false
  /** `file test name`, for the kept files' names. */
  name: string
}

interface SnapshotFiles {
  dir: string
  before: string
  after: string
  kept: boolean
}

/**
 * A test worker never parses snapshots itself, whatever room it has: the parse allocates hundreds
 * of MB of typed arrays, whose backing stores V8 frees on a background thread after the GC, so the
 * worker's external memory would still be falling while the next tests are measured and hide
 * their growth (seen: a 2 MB-per-run leak measured at +1 MB, a lazy singleton not suspected).
 */
const ANALYSIS_PROCESS = 'child-process'

/**
 * One more run of a confirmed leak between two heap snapshots: the objects new in the second
 * are the leak, and the shortest strong path from a GC root to them is what holds it.
 */
export function explainRetained(
  place: SnapshotPlace,
  runOnce: () => Promise<void>,
): Promise<RetainedBy & { newSelfSize?: number }> {
  return withSnapshotFiles(
    place,
    async (files): Promise<RetainedBy & { newSelfSize?: number }> => {
      await writeHeapSnapshot(files.before)
      await runOnce()
      await writeHeapSnapshot(files.after)
      const { text, groups, paths, total } = await explainLeak({
        before: files.before,
        after: files.after,
        root: place.root,
        parseIn: ANALYSIS_PROCESS,
      })
      return {
        text,
        groups,
        paths,
        newSelfSize: total.selfSize,
        ...(files.kept && { snapshots: { before: files.before, after: files.after } }),
      }
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
  return withSnapshotFiles(
    place,
    async (files): Promise<Array<RetainedBy | undefined>> => {
      // Reading a WeakRef keeps its target alive to the end of the macrotask, from a root of its
      // own: that root would be the shortest path.
      await nextMacrotask()
      await writeHeapSnapshot(files.after)
      // V8 gives objects their ids when a snapshot is taken; they keep them in later ones.
      const ids: number[] = []
      for (const ref of refs) {
        const object = ref.deref()
        ids.push(object ? await heapObjectId(object) : -1)
      }
      const asked = ids.filter((id) => id >= 0)
      const { objects, texts } =
        asked.length > 0
          ? await explainObjects({ snapshot: files.after, ids: asked, root: place.root, parseIn: ANALYSIS_PROCESS })
          : { objects: [], texts: [] }
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
          paths: [{ group: 'alive after the test', id: o.id, distance: o.distance, steps: o.path }],
          ...(files.kept && { snapshots: { after: files.after } }),
        }
      })
    },
    (unavailable) => refs.map(() => ({ unavailable })),
  )
}

/**
 * Runs `use` with the snapshot files of a finding. A snapshot that cannot be taken or read (no room
 * on disk, a folder that cannot be made, the inspector refusing) leaves the finding without its
 * "retained by" section: `unavailable` gets the reason, and the finding is reported as it is.
 */
async function withSnapshotFiles<T>(
  place: SnapshotPlace,
  use: (files: SnapshotFiles) => Promise<T>,
  unavailable: (reason: string) => T,
): Promise<T> {
  let files: SnapshotFiles | undefined
  try {
    files = snapshotFiles(place)
    return await use(files)
  } catch (error) {
    return unavailable(`the heap snapshot could not be taken or read: ${(error as Error)?.message ?? error}`)
  } finally {
    if (files && !files.kept) rmSync(files.dir, { recursive: true, force: true })
  }
}

/** Kept snapshots are named after the test, in the `keepSnapshots` folder; others go to a temporary folder. */
function snapshotFiles(place: SnapshotPlace): SnapshotFiles {
  const dir = place.keep ? resolve(place.root, place.keep) : mkdtempSync(join(tmpdir(), 'leakproof-'))
  mkdirSync(dir, { recursive: true })
  const name = place.keep ? fileNameOf(place.name) : 'leak'
  return {
    dir,
    before: join(dir, `${name}.before.heapsnapshot`),
    after: join(dir, `${name}.after.heapsnapshot`),
    kept: place.keep !== false,
  }
}

/** A file name from a test's file and name: letters, digits, `.`, `_` and `-`, at most 120 characters. */
function fileNameOf(text: string): string {
  return text
    .replace(/[^A-Za-z0-9._-]+/g, '-')
    .replace(/^-+|-+$/g, '')
    .slice(0, 120)
}
