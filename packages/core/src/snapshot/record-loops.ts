/**
 * The parser's fast loops (snapshot-parser.ts): whole node and edge records as V8 writes them
 * (`9,1,1,0,7,0,0` and `1,2,3`, each record after `\n,`), numbers straight into their columns, no
 * state kept per byte. They stop at the first byte that is not that layout (a `]`, a space, a
 * record cut by the chunk's end, an edge past the last node), at the last whole record, and the
 * parser's resumable loops read on from there (and say what is wrong, if anything is).
 *
 * Functions of their own, small, rather than a branch of the resumable loops: TurboFan compiles a
 * loop while it runs in the interpreter, and the loops together took it 20–90 ms per compile (twice
 * per parse, measured with --trace-opt on bench:diff's 100 MB after), most of a first parse's
 * extra time over a second in the same process.
 */

/**
 * Where a loop stopped: at {@link POS} the input position after the last whole record read, at
 * {@link RECORD} the records read so far. Written after every record, inside the loop: a loop is
 * compiled by TurboFan while it runs (on-stack replacement), before anything after it has run, and
 * an object written only once the loop ends made the compiled code deoptimize there at the end of
 * every chunk's first call (then compile again: 3–8 ms a compile, running slower meanwhile).
 */
export type RecordCursor = Uint32Array
export const POS = 0
export const RECORD = 1

const COMMA = 0x2c
const NEWLINE = 0x0a
const ZERO = 0x30
const NINE = 0x39

/** Positions of the kept numbers in a node record; `selfSizeAt` is -1 when self sizes are not kept. */
export interface NodeFieldPositions {
  typeAt: number
  nameAt: number
  idAt: number
  selfSizeAt: number
  edgeCountAt: number
}

export interface NodeColumns {
  nodeType: Uint8Array
  nodeName: Uint32Array
  nodeId: Uint32Array
  selfSize: Uint32Array
  /** Node n's edge count goes to n + 1. */
  firstEdge: Uint32Array
}

/**
 * Node records from `cursor.pos` while they start before `end` (reads past the chunk give
 * undefined, which stops the loop), up to `limit` nodes. `record` holds one record's numbers.
 */
export function readNodeRecords(
  buf: Uint8Array,
  end: number,
  limit: number,
  record: Float64Array,
  at: NodeFieldPositions,
  columns: NodeColumns,
  cursor: RecordCursor,
): void {
  const { nodeType, nodeName, nodeId, selfSize, firstEdge } = columns
  const { typeAt, nameAt, idAt, selfSizeAt, edgeCountAt } = at
  const fields = record.length
  const length = buf.length
  let node = cursor[RECORD]!
  let i = cursor[POS]!
  let c = buf[i]!
  records: while (i < end && node < limit) {
    while (c === COMMA || c === NEWLINE) c = buf[++i]!
    for (let f = 0; f < fields; f++) {
      if (f > 0) {
        if (c !== COMMA) break records
        c = buf[++i]!
      }
      if (!(c >= ZERO && c <= NINE)) break records
      let value = c - ZERO
      while ((c = buf[++i]!) >= ZERO && c <= NINE) value = value * 10 + (c - ZERO)
      record[f] = value
    }
    if (i >= length) break
    nodeType[node] = record[typeAt]!
    nodeName[node] = record[nameAt]!
    nodeId[node] = record[idAt]!
    if (selfSizeAt >= 0) selfSize[node] = record[selfSizeAt]!
    firstEdge[node + 1] = record[edgeCountAt]!
    cursor[RECORD] = ++node
    cursor[POS] = i
  }
}

/**
 * Edge records in V8's field order (type, name_or_index, to_node) from `cursor.pos`, as
 * {@link readNodeRecords}. `to_node` is an offset in the nodes array, a multiple of the node
 * field count: its product with `perNode` (1 / that count), rounded, is exact and cheaper than a
 * division. An edge to no node stops the loop, for the resumable loop to refuse it.
 */
export function readEdgeRecords(
  buf: Uint8Array,
  end: number,
  limit: number,
  perNode: number,
  nodeCount: number,
  edgeType: Uint8Array,
  edgeName: Uint32Array,
  edgeTo: Uint32Array,
  cursor: RecordCursor,
): void {
  const length = buf.length
  let edge = cursor[RECORD]!
  let i = cursor[POS]!
  let c = buf[i]!
  while (i < end && edge < limit) {
    while (c === COMMA || c === NEWLINE) c = buf[++i]!
    if (!(c >= ZERO && c <= NINE)) break
    let type = c - ZERO
    while ((c = buf[++i]!) >= ZERO && c <= NINE) type = type * 10 + (c - ZERO)
    if (c !== COMMA || !((c = buf[++i]!) >= ZERO && c <= NINE)) break
    let name = c - ZERO
    while ((c = buf[++i]!) >= ZERO && c <= NINE) name = name * 10 + (c - ZERO)
    if (c !== COMMA || !((c = buf[++i]!) >= ZERO && c <= NINE)) break
    let offset = c - ZERO
    while ((c = buf[++i]!) >= ZERO && c <= NINE) offset = offset * 10 + (c - ZERO)
    if (i >= length) break
    const to = Math.round(offset * perNode)
    if (to >= nodeCount) break
    edgeType[edge] = type
    edgeName[edge] = name
    edgeTo[edge] = to
    cursor[RECORD] = ++edge
    cursor[POS] = i
  }
}
