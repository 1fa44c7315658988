import { afterEach, expect, test } from 'vitest'
import { enableHandleProbe, settleHandles } from '../src/probes/handles.js'
import { closeWindow, openWindow, type WindowRef } from '../src/probes/window-ref.js'

// A DOM registered on the global object (happy-dom's GlobalRegistrator) or a test's own wrapper
// replaces `setTimeout`: a timer leakproof set through it to wait for the test's short timers
// would be one of the test's short timers itself, waited for in turn until the 1 s limit, at the
// end of every test and re-run.
const original = globalThis.setTimeout
afterEach(() => {
  globalThis.setTimeout = original
})

test("waiting for a test's short timer does not go through a replaced global setTimeout", async () => {
  enableHandleProbe(globalThis)
  const window: WindowRef = { kind: 'test', recording: true }
  const through: number[] = []
  globalThis.setTimeout = ((fn: () => void, ms?: number) => {
    through.push(ms ?? 0)
    return original(fn, ms)
  }) as typeof setTimeout
  openWindow(window)
  let fired = false
  // The test's own short timer, through the replaced global as the test's code would make it.
  setTimeout(() => (fired = true), 30)
  try {
    await settleHandles(window)
  } finally {
    closeWindow(window)
  }
  // Waited for the test's timer, and set none of its own through the test's setTimeout.
  expect(fired).toBe(true)
  expect(through).toEqual([30])
})
