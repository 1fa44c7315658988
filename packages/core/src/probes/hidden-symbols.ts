/**
 * Symbol-keyed properties that only exist because leakproof watches, left out of the lists of keys
 * a test can read. The handle probe's async hook makes Node tag every promise with two of its own
 * (`async_id_symbol`, `trigger_async_id_symbol`: Node tracks promises for any hook with an `init`),
 * and the probe tags promises and timers with the window that made them (handles.ts). All three are
 * plain, enumerable properties, so a test comparing promises deeply (`toHaveBeenCalledWith(
 * Promise.resolve('done'))`) saw two promises differ in their ids, and failed, only with leakproof
 * on. Making each such property non-enumerable where it is set costs an accessor call per promise
 * (a loop of `await`s ran 8× slower here), so instead the realm's `Object.getOwnPropertySymbols` and
 * `Reflect.ownKeys`, which deep equality and pretty-format list keys with, leave them out: a test
 * sees the keys it would see without leakproof.
 */
const patched = new WeakSet<object>()

interface Realm {
  Object: ObjectConstructor
  Reflect: typeof Reflect
}

export function hideSymbols(realm: Realm, hidden: ReadonlySet<symbol>): void {
  const { Object: objects, Reflect: reflect } = realm
  if (patched.has(objects)) return
  patched.add(objects)
  const ownSymbols = objects.getOwnPropertySymbols
  const ownKeys = reflect.ownKeys
  const visible = <T>(keys: T[]): T[] =>
    keys.some((k) => hidden.has(k as symbol)) ? keys.filter((k) => !hidden.has(k as symbol)) : keys
  // Method definitions keep the builtins' names and lengths.
  objects.getOwnPropertySymbols = {
    getOwnPropertySymbols(o: unknown) {
      return visible(ownSymbols(o))
    },
  }.getOwnPropertySymbols
  reflect.ownKeys = {
    ownKeys(target: object) {
      return visible(ownKeys(target))
    },
  }.ownKeys
}
