import type { FindingData, GlobalFinding } from '../findings.js'
import { originOf } from '../origin.js'
import { captureFrames, mapFrames, type RawFrame } from '../stack.js'

/** The global object's own properties and their values when a window opened. */
export type GlobalKeys = Map<string | symbol, unknown>

/**
 * `Reflect.ownKeys` as it was when this module loaded: the realm's own may be the one that leaves
 * out the probes' symbols (hidden-symbols.ts), a filter over every key that a global object, which
 * carries none of them, does not need.
 */
const ownKeys = Reflect.ownKeys

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
  for (const key of ownKeys(scope)) keys.set(key, withValues ? valueOf(scope, key) : undefined)
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
  for (const key of ownKeys(scope)) {
    // Most keys were there before: their descriptors (a jsdom window has some 800) are read only
    // when a re-run's values are compared.
    if (before.has(key) && !reassigned) continue
    const value = valueOf(scope, key)
    if (before.has(key) && Object.is(before.get(key), value)) continue
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

/**
 * Watches where the globals a test's first run left are assigned while it runs again (a library's
 * `globalThis.registry = []`): only a re-run can be watched so, for only then are their names
 * known. For the re-run each one (a configurable, writable data property) is an accessor that
 * records the assigning stack; `done` makes it a data property with its latest value again and
 * sets `assignedAt` (and `dependency`) on the findings of the globals that were assigned.
 */
export function watchAssignments(scope: object, found: FindingData[]): () => void {
  const restores: Array<() => void> = []
  for (const finding of found) {
    if (finding.kind !== 'global' || !Object.hasOwn(scope, finding.name)) continue
    const key = finding.name
    const before = Object.getOwnPropertyDescriptor(scope, key)!
    if (!('value' in before) || !before.configurable || !before.writable) continue
    let value: unknown = before.value
    let trace: RawFrame[] | undefined
    const get = (): unknown => value
    const set = (next: unknown): void => {
      value = next
      trace = captureFrames()
    }
    Object.defineProperty(scope, key, { get, set, enumerable: before.enumerable, configurable: true })
    restores.push(() => {
      if (Object.getOwnPropertyDescriptor(scope, key)?.get === get)
        Object.defineProperty(scope, key, { ...before, value })
      const origin = trace && originOf(mapFrames(trace))
      if (!origin) return
      finding.assignedAt = origin.at
      if (origin.dependency) finding.dependency = origin.dependency
    })
  }
  return () => restores.forEach((restore) => restore())
}
