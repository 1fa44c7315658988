/**
 * What the "before" snapshot of a diff is reduced to: for each object, its V8 id and a signature of
 * its type and name, in one open-addressing table. That is all a diff asks of it (is this id new?
 * was it the same kind of object then?): 8 bytes per slot at load ≤ 0.7, where the whole graph
 * costs about 60 bytes per node. The id and its signature share a cache line, so a lookup (done
 * for every object of the "after" snapshot) costs one memory access, not one into the table and
 * another into an id column.
 */
export class ObjectIds {
  /** Pairs (id, signature); id 0 marks an empty slot (V8 numbers objects from 1). */
  readonly table: Uint32Array
  /** The highest odd (heap object) id: see diff.ts' `isStableId`. */
  readonly maxStableId: number

  constructor(table: Uint32Array, maxStableId: number) {
    this.table = table
    this.maxStableId = maxStableId
  }

  /** From columns by node: V8 id, type index and name hash (StringTable.hashes). */
  static of(ids: Uint32Array, types: Uint8Array, nameHashes: Uint32Array): ObjectIds {
    let slots = 1
    while (slots * 0.7 < ids.length) slots *= 2
    const table = new Uint32Array(2 * slots)
    const mask = slots - 1
    let max = 0
    for (let n = 0; n < ids.length; n++) {
      const id = ids[n]!
      if (id === 0) continue
      if (id % 2 === 1 && id > max) max = id
      let slot = hashId(id) & mask
      while (table[2 * slot] !== 0 && table[2 * slot] !== id) slot = (slot + 1) & mask
      table[2 * slot] = id
      table[2 * slot + 1] = signature(types[n]!, nameHashes[n]!)
    }
    return new ObjectIds(table, max)
  }

  /** The signature the object with V8 id `id` had, or -1 when there was none. */
  signatureOf(id: number): number {
    const table = this.table
    const mask = table.length / 2 - 1
    for (let slot = hashId(id) & mask; ; slot = (slot + 1) & mask) {
      const at = table[2 * slot]!
      if (at === id) return table[2 * slot + 1]!
      if (at === 0) return -1
    }
  }
}

/** Type and name of an object in one number: equal for one object in two snapshots of its isolate. */
export function signature(type: number, nameHash: number): number {
  return (nameHash ^ Math.imul(type + 1, 0x9e3779b1)) >>> 0
}

/** V8 ids step by 2 (odd for heap objects): mix the bits so neighbours spread over the table. */
export function hashId(id: number): number {
  return Math.imul(id ^ (id >>> 16), 0x45d9f3b) >>> 0
}
