import { vi } from 'vitest'

type Mock = { mockClear(): unknown }

/**
 * Vitest keeps every `vi.fn()` and `vi.spyOn()` mock in a registry of its own for the whole worker
 * (for `vi.clearAllMocks()`), so a mock a test makes and drops still holds every call's arguments.
 * That is the framework's bookkeeping, not the test's leak: when leakproof re-runs a test to confirm
 * a leak, the mocks made by that re-run have their calls cleared before memory is measured. A spy
 * the test's first run left in place on a global is not made again by a re-run (`vi.spyOn` returns
 * it), so its growth still shows, and is reported with the advice to restore it.
 */
let madeInRerun: Mock[] | undefined

const { fn, spyOn } = vi
vi.fn = ((...args: Parameters<typeof fn>) => {
  const mock = fn(...args)
  madeInRerun?.push(mock)
  return mock
}) as typeof fn
vi.spyOn = ((object: Record<string, unknown>, method: string, accessType?: 'get' | 'set') => {
  const before = Object.getOwnPropertyDescriptor(object, method)?.value
  const spy = (spyOn as (...args: unknown[]) => Mock)(object, method, ...(accessType ? [accessType] : []))
  if (spy !== before) madeInRerun?.push(spy)
  return spy
}) as typeof spyOn

/** Runs `rerun` and then clears the calls of the mocks it made. */
export async function clearingRerunMocks(rerun: () => Promise<void>): Promise<void> {
  const made: Mock[] = []
  madeInRerun = made
  try {
    await rerun()
  } finally {
    madeInRerun = undefined
    for (const mock of made) mock.mockClear()
  }
}
