import { SnapshotError } from './errors.js'

/** A negative number in `locations` (Node 24 writes -1 where V8 does not know a position), as stored. */
export const UNKNOWN = 0xffffffff

/**
 * What the parser hands over: V8's flat arrays as they are in the file, plus the meta that says
 * how to read them. Field offsets and type names come from `meta`, never from constants: V8 has
 * added fields (`detachedness`) and types (`object shape`) between versions.
 */
export interface RawSnapshot {
  meta: SnapshotMeta
  /** `snapshot.root_index` when the file has it (a node array offset), else 0. */
  rootOffset: number
  nodes: Uint32Array
  edges: Uint32Array
  strings: string[]
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
 * not by V8's array offsets, so callers never multiply by field counts. The indexes built here
 * (first edge per node, retainers, id lookup) are what every analysis needs; analyses keep their
 * own results in side arrays indexed by ordinal.
 */
export class HeapSnapshot {
  readonly nodeCount: number
  readonly edgeCount: number
  readonly rootNode: number
  readonly strings: readonly string[]
  /** Node type names in V8's order (`hidden`, `array`, `string`, `object`, …). */
  readonly nodeTypes: readonly string[]
  readonly edgeTypes: readonly string[]
  /** `firstEdge[n]..firstEdge[n+1]` are node n's outgoing edge ordinals. */
  readonly firstEdge: Uint32Array
  /** `retainerEdge[firstRetainer[n]..firstRetainer[n+1]]` are the edges pointing at node n. */
  readonly firstRetainer: Uint32Array
  readonly retainerEdge: Uint32Array
  /** The node each edge starts from (the inverse of `firstEdge`). */
  readonly edgeSource: Uint32Array

  private readonly nodes: Uint32Array
  private readonly edges: Uint32Array
  private readonly nodeFieldCount: number
  private readonly edgeFieldCount: number
  private readonly typeOffset: number
  private readonly nameOffset: number
  private readonly idOffset: number
  private readonly selfSizeOffset: number
  private readonly edgeTypeOffset: number
  private readonly edgeNameOffset: number
  private readonly edgeToOffset: number
  /** Edge types whose `name_or_index` is a number, not a string index. */
  private readonly indexEdgeTypes: Uint8Array
  private readonly idTable: Uint32Array
  private readonly locationOf: Map<number, ScriptLocation>

  constructor(raw: RawSnapshot) {
    const { meta } = raw
    const field = (fields: string[], name: string, what: string): number => {
      const at = fields.indexOf(name)
      if (at < 0)
        throw new SnapshotError(
          'LEAKPROOF_SNAPSHOT_INVALID',
          `heap snapshot meta has no ${what} field "${name}"; this V8 version writes a layout leakproof does not know.`,
        )
      return at
    }
    this.nodes = raw.nodes
    this.edges = raw.edges
    this.strings = raw.strings
    this.nodeFieldCount = meta.node_fields.length
    this.edgeFieldCount = meta.edge_fields.length
    this.typeOffset = field(meta.node_fields, 'type', 'node')
    this.nameOffset = field(meta.node_fields, 'name', 'node')
    this.idOffset = field(meta.node_fields, 'id', 'node')
    this.selfSizeOffset = field(meta.node_fields, 'self_size', 'node')
    const edgeCountOffset = field(meta.node_fields, 'edge_count', 'node')
    this.edgeTypeOffset = field(meta.edge_fields, 'type', 'edge')
    this.edgeNameOffset = field(meta.edge_fields, 'name_or_index', 'edge')
    this.edgeToOffset = field(meta.edge_fields, 'to_node', 'edge')
    this.nodeTypes = meta.node_types[0]
    this.edgeTypes = meta.edge_types[0]
    this.indexEdgeTypes = new Uint8Array(this.edgeTypes.length)
    for (const name of ['element', 'hidden']) {
      const t = this.edgeTypes.indexOf(name)
      if (t >= 0) this.indexEdgeTypes[t] = 1
    }
    this.nodeCount = raw.nodes.length / this.nodeFieldCount
    this.edgeCount = raw.edges.length / this.edgeFieldCount
    this.rootNode = raw.rootOffset / this.nodeFieldCount

    this.firstEdge = new Uint32Array(this.nodeCount + 1)
    this.edgeSource = new Uint32Array(this.edgeCount)
    let edge = 0
    for (let n = 0; n < this.nodeCount; n++) {
      this.firstEdge[n] = edge
      const end = edge + raw.nodes[n * this.nodeFieldCount + edgeCountOffset]!
      this.edgeSource.fill(n, edge, end)
      edge = end
    }
    if (edge !== this.edgeCount) {
      throw new SnapshotError(
        'LEAKPROOF_SNAPSHOT_INVALID',
        `heap snapshot nodes declare ${edge} edges but the file has ${this.edgeCount}; the file is truncated or corrupt.`,
      )
    }
    this.firstEdge[this.nodeCount] = edge

    // Retainers: count per target, prefix sums, then fill (a counting sort of edges by target).
    this.firstRetainer = new Uint32Array(this.nodeCount + 1)
    for (let e = 0; e < this.edgeCount; e++) this.firstRetainer[this.edgeTarget(e) + 1]!++
    for (let n = 0; n < this.nodeCount; n++) this.firstRetainer[n + 1]! += this.firstRetainer[n]!
    this.retainerEdge = new Uint32Array(this.edgeCount)
    const fill = this.firstRetainer.slice(0, this.nodeCount)
    for (let e = 0; e < this.edgeCount; e++) this.retainerEdge[fill[this.edgeTarget(e)]!++] = e

    this.idTable = buildIdTable(this.nodes, this.nodeFieldCount, this.idOffset, this.nodeCount)
    this.locationOf = readLocations(raw.locations, meta.location_fields, this.nodeFieldCount)
  }

  nodeTypeIndex(node: number): number {
    return this.nodes[node * this.nodeFieldCount + this.typeOffset]!
  }
  nodeType(node: number): string {
    return this.nodeTypes[this.nodeTypeIndex(node)] ?? 'unknown'
  }
  nodeName(node: number): string {
    return this.strings[this.nodes[node * this.nodeFieldCount + this.nameOffset]!] ?? ''
  }
  nodeId(node: number): number {
    return this.nodes[node * this.nodeFieldCount + this.idOffset]!
  }
  selfSize(node: number): number {
    return this.nodes[node * this.nodeFieldCount + this.selfSizeOffset]!
  }
  edgeTypeIndex(edge: number): number {
    return this.edges[edge * this.edgeFieldCount + this.edgeTypeOffset]!
  }
  edgeType(edge: number): string {
    return this.edgeTypes[this.edgeTypeIndex(edge)] ?? 'unknown'
  }
  /** A property, variable or internal field name, or an element index. */
  edgeName(edge: number): string | number {
    const raw = this.edges[edge * this.edgeFieldCount + this.edgeNameOffset]!
    return this.indexEdgeTypes[this.edgeTypeIndex(edge)] ? raw : (this.strings[raw] ?? '')
  }
  edgeTarget(edge: number): number {
    return this.edges[edge * this.edgeFieldCount + this.edgeToOffset]! / this.nodeFieldCount
  }
  /** The first outgoing edge of `node` named `name`, or -1. */
  findEdge(node: number, name: string): number {
    for (let e = this.firstEdge[node]!; e < this.firstEdge[node + 1]!; e++) if (this.edgeName(e) === name) return e
    return -1
  }
  /** The node with V8 object id `id`, or -1 when this snapshot has none. */
  nodeOfId(id: number): number {
    const table = this.idTable
    const mask = table.length - 1
    for (let slot = hashId(id) & mask; ; slot = (slot + 1) & mask) {
      const entry = table[slot]!
      if (entry === 0) return -1
      if (this.nodeId(entry - 1) === id) return entry - 1
    }
  }
  /** Where a closure's function was defined, when V8 recorded it. */
  location(node: number): ScriptLocation | undefined {
    return this.locationOf.get(node)
  }
}

/**
 * Open addressing over a power-of-two table holding node ordinal + 1 (0 = empty): 8 bytes per node
 * at load factor ≤ 0.5, where a `Map<number, number>` costs about 10× that on a multi-million-node
 * snapshot.
 */
function buildIdTable(nodes: Uint32Array, fieldCount: number, idOffset: number, count: number): Uint32Array {
  let size = 1
  while (size < count * 2) size *= 2
  const table = new Uint32Array(size)
  const mask = size - 1
  for (let n = 0; n < count; n++) {
    let slot = hashId(nodes[n * fieldCount + idOffset]!) & mask
    while (table[slot] !== 0) slot = (slot + 1) & mask
    table[slot] = n + 1
  }
  return table
}

/** V8 ids step by 2 (odd for heap objects): mix the bits so neighbours spread over the table. */
function hashId(id: number): number {
  return Math.imul(id ^ (id >>> 16), 0x45d9f3b) >>> 0
}

function readLocations(
  flat: Uint32Array,
  fields: string[] | undefined,
  nodeFieldCount: number,
): Map<number, ScriptLocation> {
  const byNode = new Map<number, ScriptLocation>()
  if (!fields || flat.length === 0) return byNode
  const [object, script, line, column] = ['object_index', 'script_id', 'line', 'column'].map((f) => fields.indexOf(f))
  if (object! < 0 || script! < 0 || line! < 0 || column! < 0) return byNode
  for (let i = 0; i < flat.length; i += fields.length) {
    if ([object!, script!, line!, column!].some((f) => flat[i + f] === UNKNOWN)) continue
    byNode.set(flat[i + object!]! / nodeFieldCount, {
      scriptId: flat[i + script!]!,
      line: flat[i + line!]!,
      column: flat[i + column!]!,
    })
  }
  return byNode
}
