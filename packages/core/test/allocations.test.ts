import { runInThisContext } from 'node:vm'
import { expect, test } from 'vitest'
import { fullGc } from '../src/gc.js'
import { post } from '../src/inspector.js'
import {
  liveAllocations,
  mark,
  matchMarks,
  release,
  startAllocationSampling,
  type Mark,
} from '../src/probes/allocations.js'

// The real sampling heap profiler of this process: windows delimited by marks, each keeping about
// 200 KB, judged in groups of 20 as a file's tests are. The loop gets hot enough for V8 to optimize
// the code that makes the marks; a mark it inlined was once unfound, and the windows before it were
// read against the wrong marks (with the mark function a plain one: 49 % of these windows misjudged).
// A user's code: what leakproof's own files allocate is never a window's (isToolAllocation).
const keep = runInThisContext(
  `(function keep(round, i) { return Array.from({ length: (200 * 1024) / 64 }, (_, j) => ({ a: j, b: round, c: i, d: j + 1, e: null })) })`,
  { filename: '/project/src/keep.js' },
) as (round: number, i: number) => unknown[]

test('every window is read between its own marks, after V8 has optimized the code that makes them', async () => {
  expect(startAllocationSampling()).toBe(true)
  let misjudged = 0
  let windows = 0
  for (let round = 0; round < 150; round++) {
    const kept: unknown[] = []
    const marks: Array<Mark | undefined> = [mark()]
    for (let i = 0; i < 20; i++) {
      kept.push(keep(round, i))
      const garbage = Array.from({ length: 2000 }, (_, j) => ({ j, s: `x${j}` }))
      expect(garbage).toHaveLength(2000)
      marks.push(mark())
    }
    fullGc()
    const live = await liveAllocations()
    for (let i = 0; i < 20; i++) {
      windows++
      const bytes = live?.between(marks[i]!, marks[i + 1]!) ?? 0
      if (bytes < 100 * 1024 || bytes > 400 * 1024) misjudged++
    }
    for (const m of marks) release(m)
    expect(kept).toHaveLength(20)
  }
  // Sampling one allocation in 16 KB leaves a window of 200 KB about 12 samples: a few land outside.
  expect(misjudged / windows).toBeLessThan(0.02)
})

test('a mark whose object outlives its release (a sample no live mark owns) shifts no window', async () => {
  expect(startAllocationSampling()).toBe(true)
  const outlived: unknown[] = []
  const kept: unknown[] = []
  const marks: Array<Mark | undefined> = [mark()]
  for (let i = 0; i < 6; i++) {
    kept.push(keep(-1, i))
    // A window that was not judged: its marks released while something still holds their objects.
    const a = mark()
    const b = mark()
    outlived.push(a!.object, b!.object)
    release(a)
    release(b)
    marks.push(mark())
  }
  fullGc()
  const live = await liveAllocations()
  const read = marks.slice(1).map((m, i) => live!.between(marks[i]!, m!)!)
  expect(read.filter((bytes) => bytes < 100 * 1024 || bytes > 400 * 1024)).toEqual([])
  for (const m of marks) release(m)
  expect(outlived).toHaveLength(12)
  expect(kept).toHaveLength(6)
})

test('the last read of the live marks starts the profiler afresh: the next read carries only what came since', async () => {
  expect(startAllocationSampling()).toBe(true)
  const liveSamples = async (): Promise<number> =>
    (await post<{ profile: { samples: unknown[] } }>('HeapProfiler.getSamplingProfile')).profile.samples.length
  const kept: unknown[] = []
  const before = [mark()]
  kept.push(keep(-2, 0))
  before.push(mark())
  const first = await liveAllocations(before)
  expect(first!.between(before[0]!, before[1]!)).toBeGreaterThan(100 * 1024)
  for (const m of before) release(m)
  // The 200 KB kept before the restart (about 12 samples), and everything else alive, no longer read.
  expect(await liveSamples()).toBeLessThan(8)
  const after = [mark()]
  kept.push(keep(-2, 1))
  after.push(mark())
  const second = await liveAllocations()
  const bytes = second!.between(after[0]!, after[1]!)!
  expect(bytes).toBeGreaterThan(100 * 1024)
  expect(bytes).toBeLessThan(400 * 1024)
  for (const m of after) release(m)
  expect(kept).toHaveLength(2)
})

// Ids of the live marks, oldest first; samples as the profile lists them, in any order; the ordinal
// each live mark is matched to.
const matchCases: Array<[string, number[], Array<[id: number, ordinal: number]>, Array<number | undefined>]> = [
  [
    'samples in any order',
    [3, 4, 5],
    [
      [5, 30],
      [3, 10],
      [4, 20],
    ],
    [10, 20, 30],
  ],
  [
    'a mark never sampled: only it is unread',
    [3, 4, 5],
    [
      [3, 10],
      [5, 30],
    ],
    [10, undefined, 30],
  ],
  [
    'a sample no live mark owns, between two that are: ignored',
    [3, 5],
    [
      [3, 10],
      [4, 20],
      [5, 30],
    ],
    [10, 30],
  ],
  [
    "the same name twice (ids wrap around): each takes the newest sample older than the newer marks'",
    [7, 7],
    [
      [7, 5],
      [7, 50],
      [7, 90],
    ],
    [50, 90],
  ],
  [
    "no sample older than the newer mark's: unread, never matched out of order",
    [1, 2],
    [
      [1, 40],
      [2, 30],
    ],
    [undefined, 30],
  ],
]

test.each(matchCases)(
  'marks are matched to their own samples by name and in allocation order: %s',
  (_, ids, samples, expected) => {
    expect(
      matchMarks(
        ids,
        samples.map(([id, ordinal]) => ({ id, ordinal })),
      ),
    ).toEqual(expected)
  },
)
