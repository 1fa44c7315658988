/**
 * What the "before" snapshot of a diff is reduced to: for each of V8's heap objects (odd ids, see
 * {@link isStableId}), a signature of its type and name by its id. That is all a diff asks of it
 * (is this id new? was it the same kind of object then?), where the whole graph costs about 60
 * bytes per node. Two layouts, the smaller for the ids at hand:
 *
 * - `dense`: the signature at `id >>> 1` (0 where no object has that id), 4 bytes per id up to the
 *   highest. V8 hands out ids in steps of 2 and a process's first snapshot numbers its objects in
 *   order (seen on the bench's snapshots: highest id = 2 × objects), so this is about 4 bytes per
 *   object, and a lookup in node order walks the table forwards: on the 100 MB pair of bench:diff
 *   it built in 11 ms and answered the after's 1.5 M lookups in 15 ms, where the hashed table took
 *   166 ms to build (on the before's thread) and 80–150 ms to ask (on the critical path).
 * - `hashed`: pairs (id, signature) in an open-addressing table at load ≤ 0.7 (id 0 marks an empty
 *   slot), 11–23 bytes per object, for a process whose snapshots left gaps in the numbering (ids of
 *   objects that died between snapshots are not reused).
 */
export class ObjectIds {
  /** By layout: signatures by `id >>> 1`, or pairs (id, signature). */
  readonly table: Uint32Array
  /** The highest odd (heap object) id. */
  readonly maxStableId: number
  readonly layout: 'dense' | 'hashed'

  constructor(table: Uint32Array, maxStableId: number, layout: 'dense' | 'hashed') {
    this.table = table
    this.maxStableId = maxStableId
    this.layout = layout
  }

  /** From columns by node: V8 id, type index and name hash (StringTable.hashes). Even ids are left out. */
  static of(ids: Uint32Array, types: Uint8Array, nameHashes: Uint32Array): ObjectIds {
    let max = 0
    let count = 0
    for (let n = 0; n < ids.length; n++) {
      const id = ids[n]!
      if (!isStableId(id)) continue
      count++
      if (id > max) max = id
    }
    let slots = 1
    while (slots * 0.7 < count) slots *= 2
    const denseSlots = (max >>> 1) + 1
    if (denseSlots <= 2 * slots) {
      const table = new Uint32Array(denseSlots)
      for (let n = 0; n < ids.length; n++) {
        const id = ids[n]!
        if (isStableId(id)) table[id >>> 1] = signature(types[n]!, nameHashes[n]!)
      }
      return new ObjectIds(table, max, 'dense')
    }
    const table = new Uint32Array(2 * slots)
    const mask = slots - 1
    for (let n = 0; n < ids.length; n++) {
      const id = ids[n]!
      if (!isStableId(id)) continue
      let slot = hashId(id) & mask
      while (table[2 * slot] !== 0 && table[2 * slot] !== id) slot = (slot + 1) & mask
      table[2 * slot] = id
      table[2 * slot + 1] = signature(types[n]!, nameHashes[n]!)
    }
    return new ObjectIds(table, max, 'hashed')
  }

  /** The signature the heap object with V8 id `id` had, or -1 when there was none (or `id` is even). */
  signatureOf(id: number): number {
    if (!isStableId(id)) return -1
    const table = this.table
    if (this.layout === 'dense') {
      const at = id >>> 1
      return at < table.length && table[at] !== 0 ? table[at]! : -1
    }
    const mask = table.length / 2 - 1
    for (let slot = hashId(id) & mask; ; slot = (slot + 1) & mask) {
      const at = table[2 * slot]!
      if (at === id) return table[2 * slot + 1]!
      if (at === 0) return -1
    }
  }
}

/**
 * V8 numbers the objects of its own heap with odd ids, handed out in increasing order and kept for
 * the object's life. Even ids belong to embedder (C++) nodes such as `Node / Environment` and the
 * synthetic roots; they are derived from addresses and not comparable across snapshots.
 */
export function isStableId(id: number): boolean {
  return id % 2 === 1
}

/**
 * Type and name of an object in one number, never 0 (the dense table's "none"): equal for one
 * object in two snapshots of its isolate.
 */
export function signature(type: number, nameHash: number): number {
  return (nameHash ^ Math.imul(type + 1, 0x9e3779b1)) >>> 0 || 1
}

/** V8 ids step by 2 (odd for heap objects): mix the bits so neighbours spread over the table. */
export function hashId(id: number): number {
  return Math.imul(id ^ (id >>> 16), 0x45d9f3b) >>> 0
}
