/**
 * What the "before" snapshot of a diff is reduced to: each object's V8 id, type and a hash of its
 * name, with an id lookup. That is all a diff asks of it (is this id new? was it the same kind of
 * object then?), at 9 bytes per node plus the table, where the whole graph costs about 60.
 */
export class ObjectIds {
  readonly count: number
  /** The highest odd (heap object) id: see diff.ts' `isStableId`. */
  readonly maxStableId: number
  private readonly table: Uint32Array

  /**
   * @param ids V8 object id per node
   * @param types node type index per node (into `nodeTypes`)
   * @param nameHashes {@link StringTable} hash of each node's name
   */
  constructor(
    private readonly ids: Uint32Array,
    private readonly types: Uint8Array,
    private readonly nameHashes: Uint32Array,
    readonly nodeTypes: readonly string[],
  ) {
    this.count = ids.length
    this.table = buildIdTable(ids)
    let max = 0
    for (let n = 0; n < ids.length; n++) if (ids[n]! % 2 === 1 && ids[n]! > max) max = ids[n]!
    this.maxStableId = max
  }

  /** The node with V8 object id `id`, or -1. */
  nodeOfId(id: number): number {
    return lookupId(this.table, this.ids, id)
  }
  nodeId(node: number): number {
    return this.ids[node]!
  }
  nodeTypeIndex(node: number): number {
    return this.types[node]!
  }
  nameHash(node: number): number {
    return this.nameHashes[node]!
  }
}

/**
 * Open addressing over a power-of-two table holding node ordinal + 1 (0 = empty): 8 bytes per node
 * at load factor ≤ 0.5, where a `Map<number, number>` costs about 10× that on a multi-million-node
 * snapshot.
 */
export function buildIdTable(ids: Uint32Array): Uint32Array {
  let size = 1
  while (size < ids.length * 2) size *= 2
  const table = new Uint32Array(size)
  const mask = size - 1
  for (let n = 0; n < ids.length; n++) {
    let slot = hashId(ids[n]!) & mask
    while (table[slot] !== 0) slot = (slot + 1) & mask
    table[slot] = n + 1
  }
  return table
}

/** The node whose id is `id` in a table from {@link buildIdTable}, or -1. */
export function lookupId(table: Uint32Array, ids: Uint32Array, id: number): number {
  const mask = table.length - 1
  for (let slot = hashId(id) & mask; ; slot = (slot + 1) & mask) {
    const entry = table[slot]!
    if (entry === 0) return -1
    if (ids[entry - 1] === id) return entry - 1
  }
}

/** V8 ids step by 2 (odd for heap objects): mix the bits so neighbours spread over the table. */
function hashId(id: number): number {
  return Math.imul(id ^ (id >>> 16), 0x45d9f3b) >>> 0
}
