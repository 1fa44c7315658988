import { hashId } from './object-ids.js'
import type { StringTable } from './string-table.js'

/** A negative number in `locations` (Node 24 writes -1 where V8 does not know a position), as stored. */
export const UNKNOWN = 0xffffffff

/**
 * What the parser hands over: V8's flat arrays split into columns, in the smallest types that hold
 * them (a byte for node and edge types), edge targets as node ordinals, the first edge of each
 * node, and the strings still as bytes. Field offsets and type names came from `meta`, never from
 * constants: V8 has added fields (`detachedness`) and types (`object shape`) between versions.
 */
export interface RawSnapshot {
  meta: SnapshotMeta
  /** `snapshot.root_index` when the file has it, as a node ordinal, else 0. */
  rootNode: number
  nodeType: Uint8Array
  /** String index of each node's name. */
  nodeName: Uint32Array
  nodeId: Uint32Array
  selfSize: Uint32Array
  /** `firstEdge[n]..firstEdge[n+1]` are node n's outgoing edge ordinals (length nodeCount + 1). */
  firstEdge: Uint32Array
  edgeType: Uint8Array
  /** A string index, or an element/hidden index for those edge types. */
  edgeName: Uint32Array
  /** Target node ordinal of each edge. */
  edgeTo: Uint32Array
  strings: StringTable
  /** Flat `locations` (object_index, script_id, line, column per `meta.location_fields`); empty when absent. */
  locations: Uint32Array
}

export interface SnapshotMeta {
  node_fields: string[]
  node_types: [string[], ...unknown[]]
  edge_fields: string[]
  edge_types: [string[], ...unknown[]]
  location_fields?: string[]
}

/** A closure's source position, 0-based as V8 stores it. */
export interface ScriptLocation {
  scriptId: number
  line: number
  column: number
}

/**
 * A read-only heap graph over typed arrays. Nodes and edges are addressed by ordinal (0..count-1),
 * not by V8's array offsets, so callers never multiply by field counts. Retainers (retainers.ts),
 * paths, dominators and the edge mask are built by the analyses that need them, in side arrays
 * indexed by ordinal; the id lookup is built on the first {@link nodeOfId}.
 */
export class HeapSnapshot {
  readonly nodeCount: number
  readonly edgeCount: number
  readonly rootNode: number
  readonly strings: StringTable
  /** Node type names in V8's order (`hidden`, `array`, `string`, `object`, …). */
  readonly nodeTypes: readonly string[]
  readonly edgeTypes: readonly string[]
  /** `firstEdge[n]..firstEdge[n+1]` are node n's outgoing edge ordinals. */
  readonly firstEdge: Uint32Array
  /**
   * The columns the whole-graph loops (edge mask, paths, retainers, dominators) read for each of
   * millions of edges and nodes: a typed-array read where a method call costs 3–4× as much until
   * TurboFan has compiled the loop, most of a 20 MB snapshot's analysis. Read-only by contract.
   */
  readonly edgeTargets: Uint32Array
  readonly edgeTypeIndexes: Uint8Array
  /** See {@link edgeNameOrIndex}. */
  readonly edgeNamesOrIndexes: Uint32Array
  readonly nodeTypeIndexes: Uint8Array
  readonly nodeNameIndexes: Uint32Array
  readonly selfSizes: Uint32Array

  private readonly ids: Uint32Array
  /** Edge types whose `name_or_index` is a number, not a string index. */
  private readonly indexEdgeTypes: Uint8Array
  private idTable: Uint32Array | undefined
  private nameHashes: Uint32Array | undefined
  private readonly stringsWith = new Map<string, Uint8Array>()
  private locations: Locations | undefined
  private readonly rawLocations: { flat: Uint32Array; fields: string[] | undefined; nodeFieldCount: number }

  constructor(raw: RawSnapshot) {
    const { meta } = raw
    this.nodeTypeIndexes = raw.nodeType
    this.nodeNameIndexes = raw.nodeName
    this.ids = raw.nodeId
    this.selfSizes = raw.selfSize
    this.firstEdge = raw.firstEdge
    this.edgeTypeIndexes = raw.edgeType
    this.edgeNamesOrIndexes = raw.edgeName
    this.edgeTargets = raw.edgeTo
    this.strings = raw.strings
    this.nodeTypes = meta.node_types[0]
    this.edgeTypes = meta.edge_types[0]
    this.indexEdgeTypes = new Uint8Array(256)
    for (const name of ['element', 'hidden']) {
      const t = this.edgeTypes.indexOf(name)
      if (t >= 0) this.indexEdgeTypes[t] = 1
    }
    this.nodeCount = raw.nodeId.length
    this.edgeCount = raw.edgeTo.length
    this.rootNode = raw.rootNode
    this.rawLocations = { flat: raw.locations, fields: meta.location_fields, nodeFieldCount: meta.node_fields.length }
  }

  nodeTypeIndex(node: number): number {
    return this.nodeTypeIndexes[node]!
  }
  nodeType(node: number): string {
    return this.nodeTypes[this.nodeTypeIndexes[node]!] ?? 'unknown'
  }
  nodeName(node: number): string {
    return this.strings.get(this.nodeNameIndexes[node]!)
  }
  /** The index of the node's name in {@link strings}. */
  nodeNameIndex(node: number): number {
    return this.nodeNameIndexes[node]!
  }
  /** A hash of the node's name as the file spells it, comparable across snapshots of one process. */
  nodeNameHash(node: number): number {
    this.nameHashes ??= this.strings.hashes()
    return this.nameHashes[this.nodeNameIndexes[node]!] ?? 0
  }
  nodeId(node: number): number {
    return this.ids[node]!
  }
  selfSize(node: number): number {
    return this.selfSizes[node]!
  }
  edgeTypeIndex(edge: number): number {
    return this.edgeTypeIndexes[edge]!
  }
  edgeType(edge: number): string {
    return this.edgeTypes[this.edgeTypeIndexes[edge]!] ?? 'unknown'
  }
  /** A property, variable or internal field name, or an element index. */
  edgeName(edge: number): string | number {
    const raw = this.edgeNamesOrIndexes[edge]!
    return this.indexEdgeTypes[this.edgeTypeIndexes[edge]!] ? raw : this.strings.get(raw)
  }
  /** The edge's `name_or_index` as stored: a string index for named edges (property, context, …), else the index. */
  edgeNameOrIndex(edge: number): number {
    return this.edgeNamesOrIndexes[edge]!
  }
  /** The edge's element index, or its name when that is a decimal integer (`"12"`); else -1. No string is decoded. */
  edgeIndex(edge: number): number {
    const raw = this.edgeNamesOrIndexes[edge]!
    return this.indexEdgeTypes[this.edgeTypeIndexes[edge]!] ? raw : this.strings.integerAt(raw)
  }
  /** Whether the edge's name is a string containing `text` (ASCII), without decoding it. */
  edgeNameIncludes(edge: number, text: string): boolean {
    return (
      !this.indexEdgeTypes[this.edgeTypeIndexes[edge]!] && this.strings.includes(this.edgeNamesOrIndexes[edge]!, text)
    )
  }
  /**
   * 1 for each string index whose string contains `text`: {@link edgeNameIncludes} for a question
   * asked of millions of edges that share a few thousand names, as a byte read per edge (check the
   * edge's type is a named one). Memoised per `text`, shared by every caller.
   */
  stringsContaining(text: string): Uint8Array {
    let found = this.stringsWith.get(text)
    if (!found) this.stringsWith.set(text, (found = this.strings.containing(text)))
    return found
  }
  /** {@link edgeNameIncludes} as a byte read per edge, from {@link stringsContaining}. */
  edgeNameMatcher(text: string): (edge: number) => boolean {
    const found = this.stringsContaining(text)
    const { edgeNamesOrIndexes, edgeTypeIndexes, indexEdgeTypes } = this
    return (edge) => !indexEdgeTypes[edgeTypeIndexes[edge]!] && found[edgeNamesOrIndexes[edge]!] === 1
  }
  edgeTarget(edge: number): number {
    return this.edgeTargets[edge]!
  }
  /** The node `edge` starts from: a binary search of {@link firstEdge} (no array of 4 bytes per edge for it). */
  edgeSource(edge: number): number {
    const first = this.firstEdge
    let low = 0
    let high = this.nodeCount - 1
    while (low < high) {
      const mid = (low + high + 1) >>> 1
      if (first[mid]! <= edge) low = mid
      else high = mid - 1
    }
    // Nodes without edges share their firstEdge with the next one: the last such node is the owner.
    return low
  }
  /** The first outgoing edge of `node` named `name`, or -1. */
  findEdge(node: number, name: string): number {
    for (let e = this.firstEdge[node]!; e < this.firstEdge[node + 1]!; e++) if (this.edgeName(e) === name) return e
    return -1
  }
  /** The node with V8 object id `id`, or -1 when this snapshot has none. */
  nodeOfId(id: number): number {
    const table = (this.idTable ??= buildIdTable(this.ids))
    const mask = table.length - 1
    for (let slot = hashId(id) & mask; ; slot = (slot + 1) & mask) {
      const entry = table[slot]!
      if (entry === 0) return -1
      if (this.ids[entry - 1] === id) return entry - 1
    }
  }
  /** Where a closure's function was defined, when V8 recorded it. */
  location(node: number): ScriptLocation | undefined {
    // Indexed on first use: most analyses ask for a handful of closures, some for none.
    const { flat, fields, nodeFieldCount } = this.rawLocations
    this.locations ??= new Locations(flat, fields, nodeFieldCount)
    return this.locations.of(node)
  }
}

/**
 * Open addressing over a power-of-two table holding node ordinal + 1 (0 = empty): 6–11 bytes per
 * node at load factor 0.35–0.7, where a `Map<number, number>` costs about 10× that on a
 * multi-million-node snapshot. (Retainer paths ask it for WeakMap tables, so the graph of every
 * diff builds it: at load ≤ 0.5 it took 67 MB on a 4.3 M-node snapshot.)
 */
function buildIdTable(ids: Uint32Array): Uint32Array {
  let size = 1
  while (size * 0.7 < ids.length) size *= 2
  const table = new Uint32Array(size)
  const mask = size - 1
  for (let n = 0; n < ids.length; n++) {
    let slot = hashId(ids[n]!) & mask
    while (table[slot] !== 0) slot = (slot + 1) & mask
    table[slot] = n + 1
  }
  return table
}

/**
 * Closure positions by node, over the flat `locations` array: V8 writes them in node order, so a
 * binary search finds a node's row without an object per closure.
 */
class Locations {
  private readonly rows: Uint32Array
  private readonly nodes: Uint32Array
  private readonly fields: number[]
  private readonly width: number

  constructor(flat: Uint32Array, fields: string[] | undefined, nodeFieldCount: number) {
    const at = ['object_index', 'script_id', 'line', 'column'].map((f) => fields?.indexOf(f) ?? -1)
    const usable = fields !== undefined && flat.length > 0 && at.every((i) => i >= 0)
    this.width = usable ? fields.length : 1
    this.fields = at
    const width = this.width
    const count = usable ? Math.floor(flat.length / width) : 0
    const nodes = new Uint32Array(count)
    // Locals, not fields, in this loop over every closure of the snapshot: it was 18 ms of a 100 MB diff.
    for (let r = 0, at0 = at[0]!; r < count; r++) nodes[r] = flat[r * width + at0]! / nodeFieldCount
    let sorted = true
    for (let r = 1; r < count && sorted; r++) sorted = nodes[r - 1]! <= nodes[r]!
    if (sorted) {
      this.nodes = nodes
      this.rows = flat
    } else {
      // Not seen from any V8 so far; sorted once here so that lookups stay a binary search.
      const order = Array.from({ length: count }, (_, r) => r).sort((a, b) => nodes[a]! - nodes[b]!)
      this.nodes = Uint32Array.from(order, (r) => nodes[r]!)
      this.rows = new Uint32Array(count * this.width)
      order.forEach((r, i) => this.rows.set(flat.subarray(r * this.width, (r + 1) * this.width), i * this.width))
    }
  }

  of(node: number): ScriptLocation | undefined {
    const nodes = this.nodes
    let low = 0
    let high = nodes.length
    while (low < high) {
      const mid = (low + high) >>> 1
      if (nodes[mid]! < node) low = mid + 1
      else high = mid
    }
    if (low >= nodes.length || nodes[low] !== node) return undefined
    const row = low * this.width
    const [, script, line, column] = this.fields.map((f) => this.rows[row + f]!)
    if (script === UNKNOWN || line === UNKNOWN || column === UNKNOWN) return undefined
    return { scriptId: script!, line: line!, column: column! }
  }
}
