/**
 * Spies left on global objects. `vi.spyOn(console, 'debug')` or `jest.spyOn(process, 'emit')`
 * without a restore keeps the spy in place after the test, and the spy keeps every call's
 * arguments: each later call grows the heap. Such a spy is not a finding by itself (many suites
 * restore mocks in a global afterEach, or never call the method again); a spy on a global that
 * recorded the calls of a confirmed leak's re-runs is named in its report, with how to restore it.
 * Looked at only when a leak is confirmed: a clean test pays nothing.
 */

/** The global objects whose methods tests commonly spy on, by the name a person writes. */
const SPIED_OBJECTS = [
  'console',
  'process',
  'Math',
  'Date',
  'JSON',
  'performance',
  'crypto',
  'Object',
  'Promise',
  'Reflect',
]

/** Vitest's and Jest's mock functions both carry this mark. */
export function isMock(value: unknown): boolean {
  return typeof value === 'function' && (value as { _isMockFunction?: unknown })._isMockFunction === true
}

/** Mock functions on `scope` and on its well-known objects, by `object.method` name. */
export function spiesOn(scope: object): Map<string, unknown> {
  const spies = new Map<string, unknown>()
  const scan = (target: unknown, prefix: string): void => {
    if (target === null || (typeof target !== 'object' && typeof target !== 'function')) return
    for (const key of Reflect.ownKeys(target)) {
      if (typeof key !== 'string') continue
      // Own data properties only: a getter may do anything when read.
      const descriptor = Object.getOwnPropertyDescriptor(target, key)
      if (descriptor && 'value' in descriptor && isMock(descriptor.value))
        spies.set(`${prefix}${key}`, descriptor.value)
    }
  }
  scan(scope, 'globalThis.')
  for (const name of SPIED_OBJECTS) {
    const descriptor = Object.getOwnPropertyDescriptor(scope, name)
    if (descriptor && 'value' in descriptor) scan(descriptor.value, `${name}.`)
  }
  return spies
}

/** How many calls each spy has recorded, by name. */
export function spyCalls(spies: Map<string, unknown>): Map<string, number> {
  return new Map(
    [...spies].map(([name, spy]) => [name, (spy as { mock?: { calls?: unknown[] } }).mock?.calls?.length ?? 0]),
  )
}

/** The spies on global objects that recorded more calls than at `before`: what the re-runs grew. */
export function spiesThatGrew(scope: object, before: Map<string, number>): string[] {
  return [...spyCalls(spiesOn(scope))].filter(([name, calls]) => calls > (before.get(name) ?? 0)).map(([name]) => name)
}
