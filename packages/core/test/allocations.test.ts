import { runInThisContext } from 'node:vm'
import { expect, test } from 'vitest'
import { fullGc } from '../src/gc.js'
import { liveAllocations, mark, release, startAllocationSampling, type Mark } from '../src/probes/allocations.js'

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
      const bytes = live ? live.between(marks[i]!, marks[i + 1]!) : 0
      if (bytes < 100 * 1024 || bytes > 400 * 1024) misjudged++
    }
    for (const m of marks) release(m)
    expect(kept).toHaveLength(20)
  }
  // Sampling one allocation in 16 KB leaves a window of 200 KB about 12 samples: a few land outside.
  expect(misjudged / windows).toBeLessThan(0.02)
})
