import type { HeapWindow } from './probes/heap.js'
import type { GlobalKeys } from './probes/globals.js'
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
