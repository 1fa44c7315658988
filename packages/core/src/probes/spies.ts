/**
 * Spies left on global objects. `vi.spyOn(console, 'debug')` or `jest.spyOn(process, 'emit')`
 * without a restore keeps the spy in place after the test, and the spy keeps every call's
 * arguments: each later call grows the heap. Such a spy is not a finding by itself (many suites
 * restore mocks in a global afterEach, or never call the method again); it is the advice attached
 * to a confirmed retained-memory leak of the test that installed it.
 */

/** The global objects whose methods tests commonly spy on, by the name a person writes. */
const SPIED_OBJECTS = ['console', 'process', 'Math', 'Date', 'JSON', 'performance', 'crypto', 'Object', 'Promise', 'Reflect']

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
      if (descriptor && 'value' in descriptor && isMock(descriptor.value)) spies.set(`${prefix}${key}`, descriptor.value)
    }
  }
  scan(scope, 'globalThis.')
  for (const name of SPIED_OBJECTS) {
    const descriptor = Object.getOwnPropertyDescriptor(scope, name)
    if (descriptor && 'value' in descriptor) scan(descriptor.value, `${name}.`)
  }
  return spies
}

/** Spies present now that were not (the same function) at `before`: installed in the window. */
export function spiesInstalled(scope: object, before: Map<string, unknown>): string[] {
  return [...spiesOn(scope)].filter(([name, spy]) => before.get(name) !== spy).map(([name]) => name)
}
