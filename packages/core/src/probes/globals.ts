import type { GlobalFinding } from '../findings.js'

/** The global object's own properties and their values when a window opened. */
export type GlobalKeys = Map<string | symbol, unknown>

/** Globals Node defines on first use of one of its own APIs (global fetch's dispatcher). */
const NODE_LAZY_GLOBALS = [/^Symbol\(undici\./]

/**
 * A DOM window's frames show up as its index properties (`window[0]` is a jsdom iframe's window):
 * they come and go with the frame element, which the `dom` kind judges, not with a global a test set.
 */
const FRAME_INDEX = /^\d+$/

/**
 * `scope` is the global object the tests run against: Jest runs them in a vm context of their own.
 * Values are kept only when asked (a re-run's window, to see what it assigned again): a window's
 * snapshot must not keep a global's old value alive after a test replaced it.
 */
export function snapshotGlobals(scope: object, withValues = false): GlobalKeys {
  const keys: GlobalKeys = new Map()
  for (const key of Reflect.ownKeys(scope)) keys.set(key, withValues ? valueOf(scope, key) : undefined)
  return keys
}

/**
 * Own properties of `scope` that exist now and did not at `before`, minus those the host owns. With
 * `reassigned`, also those that existed at `before` with another value: what a re-run of a test
 * made again (`globalThis.cache = new Map()` once more), where a first-use singleton
 * (`globalThis.store ??= createStore()`) keeps its value.
 */
export function collectGlobals(
  scope: object,
  before: GlobalKeys,
  isHostGlobal: (name: string) => boolean,
  reassigned = false,
): GlobalFinding[] {
  const findings: GlobalFinding[] = []
  for (const key of Reflect.ownKeys(scope)) {
    const value = valueOf(scope, key)
    if (before.has(key) && (!reassigned || Object.is(before.get(key), value))) continue
    const name = typeof key === 'symbol' ? key.toString() : key
    if (isHostGlobal(name) || FRAME_INDEX.test(name) || NODE_LAZY_GLOBALS.some((re) => re.test(name))) continue
    findings.push({ kind: 'global', name, valueType: value === ACCESSOR ? 'accessor' : typeOf(value) })
  }
  return findings
}

const ACCESSOR = Symbol('accessor')

/** A data property's value; accessors are not called (a getter may have side effects). */
function valueOf(scope: object, key: string | symbol): unknown {
  const descriptor = Object.getOwnPropertyDescriptor(scope, key)
  return descriptor && 'value' in descriptor ? descriptor.value : ACCESSOR
}

function typeOf(value: unknown): string {
  if (value === null) return 'null'
  if (Array.isArray(value)) return 'array'
  if (typeof value === 'object')
    return value.constructor?.name && value.constructor.name !== 'Object' ? value.constructor.name : 'object'
  return typeof value
}
