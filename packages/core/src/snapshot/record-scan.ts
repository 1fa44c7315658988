import { RECORD_SCAN_WASM } from './record-scan-wasm.js'

/**
 * Where a scan stopped: at {@link POS} the input position after the last whole record read, at
 * {@link RECORD} the records read so far (both in the caller's terms: its buffer, its columns).
 */
export type RecordCursor = Uint32Array
export const POS = 0
export const RECORD = 1

export interface NodeColumns {
  nodeType: Uint8Array
  nodeName: Uint32Array
  nodeId: Uint32Array
  /** Empty when self sizes are not kept. */
  selfSize: Uint32Array
  /** Node n's edge count goes to n + 1. */
  firstEdge: Uint32Array
}

export interface EdgeColumns {
  edgeType: Uint8Array
  edgeName: Uint32Array
  edgeTo: Uint32Array
}

/** The parts of the WebAssembly API used here: the package compiles without the DOM lib that declares it. */
interface WebAssemblyApi {
  Module: new (bytes: Uint8Array) => object
  Instance: new (module: object) => { exports: object }
}

interface RecordScanExports {
  memory: { buffer: ArrayBuffer; grow(pages: number): number }
  /** The input position after the last whole record of the last call. */
  stop: { value: number }
  nodes: (...args: number[]) => number
  edges: (...args: number[]) => number
  strings: (...args: number[]) => number
  numbers: (...args: number[]) => number
}

/** Zeroed bytes after the input: a record that runs into them is cut, as at the end of a chunk. */
const INPUT_MARGIN = 128
/** The node record's field kinds (one byte per field, see record-scan.wat), then the input. */
const KINDS_AT = 0
const INPUT_AT = 256
const PAGE = 64 * 1024

/** Undefined where WebAssembly is off (`node --jitless`). */
const webAssembly = (globalThis as { WebAssembly?: WebAssemblyApi }).WebAssembly
let compiled: object | undefined

/** The module, compiled once per thread. */
function recordScanModule(api: WebAssemblyApi): object {
  compiled ??= new api.Module(Buffer.from(RECORD_SCAN_WASM, 'base64'))
  return compiled
}

/**
 * The parser's fast loops (record-scan.wat) with one parser's scratch memory: each call copies the
 * rest of the caller's buffer in, reads whole records from `pos` while they start before `end`, and
 * copies the numbers read out into the caller's columns from `cursor[RECORD]` on. The copies cost
 * about 2 ms per 20 MB; the loops themselves run at their compiled speed from the first byte.
 */
export class RecordScanner {
  private readonly exports: RecordScanExports

  private constructor(exports: object) {
    this.exports = exports as RecordScanExports
  }

  /** A scanner, or undefined where WebAssembly is off: the parser's resumable loops then read every record. */
  static create(): RecordScanner | undefined {
    return webAssembly && new RecordScanner(new webAssembly.Instance(recordScanModule(webAssembly)).exports)
  }

  /** Node records (`kinds`: a byte per field, as the .wat says), at most `limit` in all. */
  nodes(
    buf: Uint8Array,
    end: number,
    limit: number,
    kinds: Uint8Array,
    columns: NodeColumns,
    cursor: RecordCursor,
  ): void {
    this.scan(buf, end, limit, kinds.length, 4, cursor, {
      call: (input, out) => {
        new Uint8Array(this.exports.memory.buffer).set(kinds, KINDS_AT)
        return this.exports.nodes(...input, kinds.length, KINDS_AT, ...out)
      },
      copyOut: (memory, [types, names, ids, selfSizes, edgeCounts], read, first) => {
        columns.nodeType.set(new Uint8Array(memory, types, read), first)
        columns.nodeName.set(new Uint32Array(memory, names, read), first)
        columns.nodeId.set(new Uint32Array(memory, ids, read), first)
        if (columns.selfSize.length > 0) columns.selfSize.set(new Uint32Array(memory, selfSizes, read), first)
        columns.firstEdge.set(new Uint32Array(memory, edgeCounts, read), first + 1)
      },
    })
  }

  /** Edge records in V8's field order (type, name_or_index, to_node), at most `limit` in all; see record-scan.wat. */
  edges(
    buf: Uint8Array,
    end: number,
    limit: number,
    nodeFieldCount: number,
    nodeCount: number,
    columns: EdgeColumns,
    cursor: RecordCursor,
  ): void {
    this.scan(buf, end, limit, 3, 2, cursor, {
      call: (input, out) => this.exports.edges(...input, nodeFieldCount, nodeCount, ...out),
      copyOut: (memory, [types, names, targets], read, first) => {
        columns.edgeType.set(new Uint8Array(memory, types, read), first)
        columns.edgeName.set(new Uint32Array(memory, names, read), first)
        columns.edgeTo.set(new Uint32Array(memory, targets, read), first)
      },
    })
  }

  /**
   * Whole strings of the `strings` section: their content's spans (start, end: positions in `buf`
   * plus `bias`) into `spans` from `2 × cursor[RECORD]`, 1 in `escaped` for those with a backslash
   * escape. At most `limit` strings in all; the caller makes room for them.
   */
  strings(
    buf: Uint8Array,
    end: number,
    limit: number,
    bias: number,
    spans: Uint32Array,
    escaped: Uint8Array,
    cursor: RecordCursor,
  ): void {
    // A string takes 3 bytes or more (its quotes and a comma), as 2 fields of a record; its span
    // takes the two word columns, interleaved.
    const shift = (bias + cursor[POS]! - INPUT_AT) | 0
    this.scan(buf, end, limit, 1.5, 2, cursor, {
      call: (input, [flags, pairs]) => this.exports.strings(...input, shift, pairs!, flags!),
      copyOut: (memory, [flags, pairs], read, first) => {
        spans.set(new Uint32Array(memory, pairs, 2 * read), 2 * first)
        escaped.set(new Uint8Array(memory, flags, read), first)
      },
    })
  }

  /** Numbers (the `locations` section) into `values` from `cursor[RECORD]`, at most `limit` in all; -1 as 0xffffffff. */
  numbers(buf: Uint8Array, end: number, limit: number, values: Uint32Array, cursor: RecordCursor): void {
    this.scan(buf, end, limit, 1, 1, cursor, {
      call: (input, [, words]) => this.exports.numbers(...input, words!),
      copyOut: (memory, [, words], read, first) => values.set(new Uint32Array(memory, words, read), first),
    })
  }

  /**
   * One call of an export: the input placed (see {@link prepare}), the export called with its
   * start, end, length and record limit (`input`) and the output columns' addresses, what it read
   * copied out into the caller's columns from `cursor[RECORD]` on, and the cursor moved past it.
   */
  private scan(
    buf: Uint8Array,
    end: number,
    limit: number,
    fields: number,
    wordColumns: number,
    cursor: RecordCursor,
    how: {
      call: (input: [number, number, number, number], out: number[]) => number
      copyOut: (memory: ArrayBuffer, out: number[], read: number, first: number) => void
    },
  ): void {
    const { bytes, out, count } = this.prepare(buf, limit, fields, wordColumns, cursor)
    const read = how.call([INPUT_AT, INPUT_AT + end - cursor[POS]!, INPUT_AT + bytes, count], out)
    how.copyOut(this.exports.memory.buffer, out, read, cursor[RECORD]!)
    cursor[POS]! += this.exports.stop.value - INPUT_AT
    cursor[RECORD]! += read
  }

  /**
   * Copies `buf` from `cursor[POS]` into the memory (grown when short) and places the output
   * columns after it: a byte column, then `wordColumns` of 4 bytes, for as many records as the input
   * can hold (`count`: a record takes 2 bytes per field or more). `out` is their addresses.
   */
  private prepare(
    buf: Uint8Array,
    limit: number,
    fields: number,
    wordColumns: number,
    cursor: RecordCursor,
  ): { bytes: number; out: number[]; count: number } {
    const bytes = buf.length - cursor[POS]!
    const count = Math.max(0, Math.min(limit - cursor[RECORD]!, Math.floor(bytes / (2 * fields)) + 1))
    const byteColumn = (INPUT_AT + bytes + INPUT_MARGIN + 3) & ~3
    const firstWordColumn = byteColumn + ((count + 3) & ~3)
    const out = [byteColumn]
    for (let c = 0; c < wordColumns; c++) out.push(firstWordColumn + 4 * count * c)
    const needed = firstWordColumn + 4 * count * wordColumns
    const { memory } = this.exports
    if (memory.buffer.byteLength < needed) memory.grow(Math.ceil((needed - memory.buffer.byteLength) / PAGE))
    const input = new Uint8Array(memory.buffer, INPUT_AT, bytes + INPUT_MARGIN)
    input.set(buf.subarray(cursor[POS]!))
    input.fill(0, bytes)
    return { bytes, out, count }
  }
}
