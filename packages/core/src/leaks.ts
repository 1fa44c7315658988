import { captureStack } from './stack.js'
import { parseSize } from './size.js'
import type { Size } from './options.js'
import { measureFromHere, type Window } from './window.js'

let current: Window | undefined

/** The detector says which test window is open; `leaks.*` calls act on it. */
export function setCurrentWindow(window: Window | undefined): void {
  current = window
}

function open(method: string): Window {
  if (!current) {
    throw new Error(
      `leaks.${method}() was called where no test's leak check is open: outside a test, in beforeAll/afterAll, or in a concurrent test (concurrent tests are judged with their file, not one by one). Call it inside a test body or a beforeEach/afterEach hook of a test that runs alone, with the leakproof plugin or environment set up.`,
    )
  }
  return current
}

/** Per-test controls, the same in every adapter. */
export const leaks = {
  /** Lets this test keep up to `size` per run (`'2 MB'`, or bytes). Overrides every config-level budget. */
  budget(size: Size): void {
    open('budget').budgetFromCall = parseSize(size, 'leaks.budget()')
  },
  /** Fails the test if `object` is still alive after the test, after a full GC. Returns the object. */
  watch<T extends object>(object: T, label = 'watched object'): T {
    if (object === null || (typeof object !== 'object' && typeof object !== 'function')) {
      throw new TypeError(
        `leaks.watch() needs an object or a function to watch; got ${object === null ? 'null' : typeof object}.`,
      )
    }
    open('watch').watched.push({ ref: new WeakRef(object), label, trace: captureStack() })
    return object
  },
  /** Skips leak checks for this test; the reason is printed where the check would have been. */
  ignore(reason: string): void {
    open('ignore').ignored = reason || 'leaks.ignore()'
  },
  /** This test must not be re-run (it has side effects outside the process): judge it on its one run. */
  noRerun(reason: string): void {
    const window = open('noRerun')
    window.noRerun = reason || 'leaks.noRerun()'
    measureFromHere(window)
  },
}
