import { toPath } from '../stack.js'
import type { HeapSnapshot } from './heap-snapshot.js'
import { retainers } from './retainers.js'

/**
 * How nodes read to a person: what kind of object, what it holds, where a closure was written.
 * Used both to group new objects in a diff and to label retainer path steps, so a group's name
 * and the last step of its path always agree.
 */

/** Node types that are V8's own machinery, never something a program allocated itself. */
const INTERNAL_TYPES = new Set(['hidden', 'code', 'synthetic', 'array', 'object shape'])
const STRING_TYPES = new Set(['string', 'concatenated string', 'sliced string'])

/**
 * V8 internals: hidden/code/synthetic nodes, backing arrays, hidden classes, contexts and other
 * `system / …` objects, and strings that only exist as the halves of a concatenated (or the
 * parent of a sliced) string. Diffs leave them out; folded paths step over them.
 */
export function isInternal(s: HeapSnapshot, node: number): boolean {
  const type = s.nodeType(node)
  if (INTERNAL_TYPES.has(type)) return true
  // Read in the name's bytes: a diff asks this of every new object, and decoding each name cost more than the rest.
  if (s.strings.startsWith(s.nodeNameIndex(node), 'system /')) return true
  if (type === 'string') return isStringPart(s, node)
  return false
}

function isStringPart(s: HeapSnapshot, node: number): boolean {
  const held = retainers(s)
  const start = held.first[node]!
  const end = held.first[node + 1]!
  if (start === end) return false
  for (let r = start; r < end; r++) {
    const type = s.nodeType(held.node[r]!)
    if (type !== 'concatenated string' && type !== 'sliced string') return false
  }
  return true
}

/** Property names of an object in V8's order (creation order), symbols and `__proto__` left out. */
function propertyNames(s: HeapSnapshot, node: number, max: number): string[] {
  const names: string[] = []
  for (let e = s.firstEdge[node]!; e < s.firstEdge[node + 1]! && names.length <= max; e++) {
    if (s.edgeType(e) !== 'property') continue
    const name = s.edgeName(e)
    if (typeof name === 'string' && name !== '__proto__' && !name.startsWith('<symbol')) names.push(name)
  }
  return names
}

const MAX_PROPERTY_NAMES = 5

/**
 * The name objects are grouped by: `Object {requestId, name, tags}` for plain objects (the shape is
 * what tells one kind of record from another), `closure fnName`, `string`, or the constructor name
 * (`Array`, `Map`, `Buffer`, `ArrayBuffer`, a class name).
 */
export function groupName(s: HeapSnapshot, node: number): string {
  const type = s.nodeType(node)
  if (STRING_TYPES.has(type)) return 'string'
  if (type === 'closure') return `closure ${s.nodeName(node) || '(anonymous)'}`
  if (type === 'number' || type === 'bigint' || type === 'symbol') return type
  if (type === 'regexp') return 'RegExp'
  const name = s.nodeName(node)
  if (type === 'object' && (name === 'Object' || name === 'Object [null prototype]')) {
    const names = propertyNames(s, node, MAX_PROPERTY_NAMES)
    const shown = names.slice(0, MAX_PROPERTY_NAMES).join(', ')
    return `${name} {${shown}${names.length > MAX_PROPERTY_NAMES ? ', …' : ''}}`
  }
  return name
}

/** A path step's label: the group name, with a collection's size where that is what matters. */
export function describeNode(s: HeapSnapshot, node: number): string {
  const name = groupName(s, node)
  if (s.nodeType(node) === 'object' && (name === 'Map' || name === 'Set')) {
    const entries = collectionEntries(s, node)
    if (entries)
      return `${name} (${entries.count.toLocaleString('en-US')} ${entries.count === 1 ? 'entry' : 'entries'})`
  }
  return name
}

export interface CollectionEntries {
  count: number
  /** Table slot of the first entry's key; a slot's place in its entry is `(slot - firstEntry) % stride`. */
  firstEntry: number
  stride: number
}

/**
 * Entries of a Map or Set, read from its backing OrderedHashMap/OrderedHashSet (the `table` edge).
 * That table is a FixedArray: 3 header slots (element count, deleted count, bucket count), one slot
 * per bucket, then `stride` slots per entry (Map: key, value, chain; Set: key, chain) for twice as
 * many entries as buckets. V8 does not write the small integers, so the bucket count is recovered
 * from the table's size (3 + b + 2·stride·b slots, 8-byte slots, or 4-byte under pointer
 * compression). Entries whose key and value are both small integers or oddballs have no edge and
 * are not counted.
 */
export function collectionEntries(s: HeapSnapshot, node: number): CollectionEntries | undefined {
  const tableEdge = s.findEdge(node, 'table')
  if (tableEdge < 0) return undefined
  const table = s.edgeTarget(tableEdge)
  const stride = s.nodeName(node) === 'Map' ? 3 : 2
  const firstEntry = firstEntrySlot(s.selfSize(table), stride)
  if (firstEntry === undefined) return undefined
  const slotOf = (e: number): number => {
    const slot = s.edgeIndex(e)
    return slot >= firstEntry ? slot : -1
  }
  let lastSlot = firstEntry
  for (let e = s.firstEdge[table]!; e < s.firstEdge[table + 1]!; e++) lastSlot = Math.max(lastSlot, slotOf(e))
  // One flag per entry up to the last one used (a Set of them costs more than the rest of the walk).
  const seen = new Uint8Array(Math.floor((lastSlot - firstEntry) / stride) + 1)
  let count = 0
  for (let e = s.firstEdge[table]!; e < s.firstEdge[table + 1]!; e++) {
    const slot = slotOf(e)
    if (slot < 0 || isOddball(s, s.edgeTarget(e))) continue
    const entry = Math.floor((slot - firstEntry) / stride)
    if (seen[entry]) continue
    seen[entry] = 1
    count++
  }
  return { count, firstEntry, stride }
}

/** `undefined`, `null`, `true`, `false`, the hole: V8 writes them as hidden `system / Oddball` nodes. */
function isOddball(s: HeapSnapshot, node: number): boolean {
  // The type first: decoding the name of each of a big Map's keys and values is what costs here.
  return s.nodeType(node) === 'hidden' && s.nodeName(node) === 'system / Oddball'
}

function firstEntrySlot(selfSize: number, stride: number): number | undefined {
  for (const [header, slotBytes] of [
    [16, 8],
    [8, 4],
  ] as const) {
    const slots = (selfSize - header) / slotBytes
    const buckets = (slots - 3) / (1 + 2 * stride)
    if (Number.isInteger(buckets) && buckets > 0) return 3 + buckets
  }
  return undefined
}

export interface SourcePosition {
  file: string
  /** 1-based, as editors and stack traces show them. */
  line?: number
  column?: number
}

/**
 * Where a closure's function was written: its script (closure → SharedFunctionInfo → Script, whose
 * node name is the script's name) and V8's recorded location for the closure.
 */
export function closurePosition(s: HeapSnapshot, closure: number): SourcePosition | undefined {
  const shared = s.findEdge(closure, 'shared')
  if (shared < 0) return undefined
  const sfi = s.edgeTarget(shared)
  let file = ''
  for (let e = s.firstEdge[sfi]!; e < s.firstEdge[sfi + 1]!; e++) {
    const name = s.edgeName(e)
    // `script_or_debug_info` on Node 20, `script` on later V8s.
    if (typeof name === 'string' && name.startsWith('script')) {
      file = s.nodeName(s.edgeTarget(e))
      break
    }
  }
  if (!file) return undefined
  const location = s.location(closure)
  return { file: toPath(file), ...(location && { line: location.line + 1, column: location.column + 1 }) }
}
