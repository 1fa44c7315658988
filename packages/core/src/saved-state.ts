/**
 * Puts an object's own fields back as they were when this was called, in place: what a re-run
 * changed in a framework's bookkeeping (a snapshot state's counters, data, stats and checked keys)
 * is undone, and the first run's work stands. Fields that are Maps, Sets, arrays or plain objects
 * are restored one level deep (a Map's array values are copied too: frameworks push into them),
 * into the same instance, so subclasses (Vitest's counter maps) and outside references stay valid.
 */
export function saveState(target: object): () => void {
  const fields = target as Record<string, unknown>
  const saved = Object.keys(fields).map((key) => [key, fields[key], copyOf(fields[key])] as const)
  return () => {
    for (const key of Object.keys(fields)) if (!saved.some(([k]) => k === key)) delete fields[key]
    for (const [key, value, copy] of saved) {
      if (copy) restoreInto(value as object, copy)
      fields[key] = value
    }
  }
}

type Copy =
  | { kind: 'map'; entries: Array<[unknown, unknown]>; own: Record<string, unknown> }
  | { kind: 'set'; values: unknown[] }
  | { kind: 'array'; values: unknown[] }
  | { kind: 'object'; own: Record<string, unknown> }

// By tag, not `instanceof`: under Vitest's vm pools the state lives in the test file's realm.
const tagOf = (value: unknown): string => Object.prototype.toString.call(value)

function copyOf(value: unknown): Copy | undefined {
  if (value === null || typeof value !== 'object') return undefined
  const tag = tagOf(value)
  if (tag === '[object Map]')
    return {
      kind: 'map',
      entries: [...(value as Map<unknown, unknown>)].map(([k, v]) => [k, Array.isArray(v) ? [...v] : v]),
      own: { ...value },
    }
  if (tag === '[object Set]') return { kind: 'set', values: [...(value as Set<unknown>)] }
  if (Array.isArray(value)) return { kind: 'array', values: [...value] }
  if (tag === '[object Object]') return { kind: 'object', own: { ...value } }
  return undefined
}

function restoreInto(target: object, copy: Copy): void {
  switch (copy.kind) {
    case 'map': {
      const map = target as Map<unknown, unknown>
      map.clear()
      for (const [k, v] of copy.entries) map.set(k, Array.isArray(v) ? [...v] : v)
      replaceOwn(map, copy.own)
      return
    }
    case 'set': {
      const set = target as Set<unknown>
      set.clear()
      for (const v of copy.values) set.add(v)
      return
    }
    case 'array':
      ;(target as unknown[]).splice(0, Infinity, ...copy.values)
      return
    case 'object':
      replaceOwn(target, copy.own)
  }
}

function replaceOwn(target: object, own: Record<string, unknown>): void {
  const fields = target as Record<string, unknown>
  for (const key of Object.keys(fields)) if (!(key in own)) delete fields[key]
  Object.assign(fields, own)
}
