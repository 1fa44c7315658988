import type { GlobalFinding } from '../findings.js'

export type GlobalKeys = Set<string | symbol>

/** Globals Node defines on first use of one of its own APIs (global fetch's dispatcher). */
const NODE_LAZY_GLOBALS = [/^Symbol\(undici\./]

/** `scope` is the global object the tests run against: Jest runs them in a vm context of their own. */
export function snapshotGlobals(scope: object): GlobalKeys {
  return new Set(Reflect.ownKeys(scope))
}

/** Own properties of `scope` that exist now and did not at `before`, minus those the host owns. */
export function collectGlobals(scope: object, before: GlobalKeys, isHostGlobal: (name: string) => boolean): GlobalFinding[] {
  const findings: GlobalFinding[] = []
  for (const key of Reflect.ownKeys(scope)) {
    if (before.has(key)) continue
    const name = typeof key === 'symbol' ? key.toString() : key
    if (isHostGlobal(name) || NODE_LAZY_GLOBALS.some((re) => re.test(name))) continue
    const value = Object.getOwnPropertyDescriptor(scope, key)
    const valueType = value && 'value' in value ? typeOf(value.value) : 'accessor'
    findings.push({ kind: 'global', name, valueType })
  }
  return findings
}

function typeOf(value: unknown): string {
  if (value === null) return 'null'
  if (Array.isArray(value)) return 'array'
  if (typeof value === 'object') return value.constructor?.name && value.constructor.name !== 'Object' ? value.constructor.name : 'object'
  return typeof value
}
