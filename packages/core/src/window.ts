import { fullGc, heapAndExternal } from './gc.js'
import type { HeapWindow } from './probes/heap.js'
import type { GlobalKeys } from './probes/globals.js'
import type { Mark } from './probes/allocations.js'
import type { WindowRef } from './probes/window-ref.js'

export interface Watch {
  ref: WeakRef<object>
  label: string
  trace: { stack?: string }
}

/** What the adapter knows about a test when its window opens. */
export interface TestInfo {
  /** Absolute path of the test file. */
  file: string
  /** Describe blocks and test name joined by ` > `. */
  fullName: string
  /** Budget from the host's per-test options (Vitest meta/tags), in bytes. */
  budget?: number
  /** Set from the host's per-test options: judge on one run, never re-run. The value is the reason. */
  noRerun?: string
  /** Set from the host's per-test options: skip the check. The value is the reason. */
  ignore?: string
}

/** One open window: a test's beforeEach hooks, body and afterEach hooks, or a whole file. */
export class Window implements WindowRef {
  recording = true
  readonly globals: GlobalKeys
  heap: HeapWindow | undefined
  readonly watched: Watch[] = []
  budgetFromCall: number | undefined
  ignored: string | undefined
  noRerun: string | undefined
  /** Live memory after a full GC when the window was marked not to be re-run (see `measureFromHere`). */
  liveAtNoRerun: number | undefined
  /** Where its allocations begin and end for the allocation profiler (probes/allocations.ts). */
  startMark: Mark | undefined
  endMark: Mark | undefined
  /** Growth of memory outside the heap (Buffers, ArrayBuffers) between its ends, which the profiler does not sample. */
  externalGrowth: number | undefined
  /** `performance.now()` when it opened, and how long its first run took (ms). */
  startedAt: number | undefined
  duration: number | undefined
  /** Set on the scratch window of a re-run: the window whose test it runs again. */
  rerunOf: Window | undefined

  get replay(): boolean {
    return this.rerunOf !== undefined
  }

  constructor(
    readonly kind: 'test' | 'file',
    readonly info: TestInfo,
    globals: GlobalKeys,
  ) {
    this.globals = globals
    this.ignored = info.ignore
    this.noRerun = info.noRerun
  }
}

/**
 * A window judged on its one run compares live memory with a full-GC reading taken where it was
 * marked so, not with the previous test's: nothing but that one difference can judge it, and over a
 * longer span things alive at the older reading may die meanwhile (the previous test file's, under
 * Jest) and hide what the test keeps.
 */
export function measureFromHere(window: Window): void {
  if (!window.heap || window.liveAtNoRerun !== undefined) return
  fullGc()
  window.liveAtNoRerun = heapAndExternal()
}
