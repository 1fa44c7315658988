import { SnapshotError } from './errors.js'
import { UNKNOWN, type RawSnapshot, type SnapshotMeta } from './heap-snapshot.js'
import { ObjectIds } from './object-ids.js'
import { POS, RECORD, RecordScanner, type RecordCursor } from './record-scan.js'
import { FNV_OFFSET, hashBytes, StringTable } from './string-table.js'

type State =
  'start' | 'key' | 'colon' | 'value' | 'header' | 'nodes' | 'edges' | 'locations' | 'strings' | 'skip' | 'done'

const QUOTE = 0x22
const BACKSLASH = 0x5c
const COMMA = 0x2c
const COLON = 0x3a
const OPEN_BRACE = 0x7b
const CLOSE_BRACE = 0x7d
const OPEN_BRACKET = 0x5b
const CLOSE_BRACKET = 0x5d
const ZERO = 0x30
const MINUS = 0x2d
const NINE = 0x39
const SPACE = 0x20
const NEWLINE = 0x0a
const RETURN = 0x0d
const TAB = 0x09

function isSpace(byte: number): boolean {
  return byte === SPACE || byte === NEWLINE || byte === RETURN || byte === TAB
}

/** Bytes from a chunk's end within which records go through the resumable loop: more than most records take (a fast loop that reads past the end stops there anyway). */
const FAST_RECORD_MARGIN = 64

/** What each number of a node or edge record is stored as (0: not kept). */
const NODE_TYPE = 1
const NODE_NAME = 2
const NODE_ID = 3
const NODE_SELF_SIZE = 4
const NODE_EDGE_COUNT = 5
const EDGE_TYPE = 1
const EDGE_NAME = 2
const EDGE_TO = 3

/**
 * What to keep: `graph` is the whole graph in compact arrays; `ids` keeps each node's id, type and
 * name hash and skips the edges unread (the "before" of a diff). `edges` reads only the edges
 * section (the nodes skipped, what follows left unread) and `graph-but-edges` all but that section:
 * the two halves of one file, parsed on two threads and joined by {@link SnapshotParser.graph}.
 */
export type ParseMode = 'graph' | 'ids' | 'edges' | 'graph-but-edges'

/** The edge columns of {@link RawSnapshot}, what a parse in mode `edges` gives. */
export type EdgeColumns = Pick<RawSnapshot, 'edgeType' | 'edgeName' | 'edgeTo'>

/**
 * An incremental parser of V8's heap snapshot JSON (`{"snapshot": {...}, "nodes": [...], ...}`):
 * feed it the bytes in chunks of any size as they arrive (from a file, or from the inspector while
 * V8 is still writing), then take the result. Numbers are scanned digit by digit straight into
 * column arrays sized from the header (a byte of type per node and edge, 32-bit columns for the
 * rest; `trace_node_id` and `detachedness` are dropped, edge targets stored as node ordinals), and
 * strings stay raw UTF-8 in one buffer ({@link StringTable}). Only the small `snapshot` header goes
 * through JSON.parse. Keys it does not need (`trace_tree`, `samples`, …) are skipped by bracket
 * matching. Number and string scanning keep their state across chunks; only the few bytes of a key
 * or the header cut by a chunk boundary are carried into the next chunk.
 */
export class SnapshotParser {
  private buf: Buffer = Buffer.alloc(0)
  private pos = 0
  private state: State = 'start'
  private key = ''
  private meta: SnapshotMeta | undefined
  private rootNode = 0
  private nodeCount = 0
  private edgeCount = 0
  private expectedBytes = 0
  /** Where `buf` starts in the whole input. */
  private offset = 0
  /** Where the content of the section being read starts in the whole input (after its `[`). */
  private sectionStart = 0

  // Number scanning, resumable at any byte.
  private current = 0
  private inNumber = false
  private negative = false
  private field = 0
  private record = 0
  private nodeKinds = new Uint8Array(0)
  private edgeKinds = new Uint8Array(0)
  /** The fast loops over whole records (record-scan.ts), where WebAssembly is on; where they stopped. */
  private readonly scanner = RecordScanner.create()
  private readonly cursor: RecordCursor = new Uint32Array(2)
  private toDivisor = 1

  private nodeType = new Uint8Array(0)
  private nodeName = new Uint32Array(0)
  private nodeId = new Uint32Array(0)
  private selfSize = new Uint32Array(0)
  /** Edge count of node n at n + 1 while parsing; prefix sums (the first edge of each node) after. */
  private firstEdge = new Uint32Array(1)
  private edgeType = new Uint8Array(0)
  private edgeName = new Uint32Array(0)
  private edgeTo = new Uint32Array(0)
  private locations = new Uint32Array(0)
  private locationCount = 0
  private seen = new Set<string>()
  private completed = false

  // Strings: raw bytes (graph mode) or a hash per string (ids mode).
  private stringBytes = Buffer.alloc(0)
  private stringBytesLength = 0
  private spans = new Uint32Array(0)
  private escaped = new Uint8Array(0)
  private stringHashes = new Uint32Array(0)
  private stringCount = 0
  private inString = false
  private escapedChar = false
  private hasEscape = false
  private hash = FNV_OFFSET

  // Skipping a JSON value (or reading the header) by bracket matching.
  private depth = 0
  private header: Buffer[] = []

  /** @param source what the bytes are (a file path), for error messages */
  constructor(
    private readonly source: string,
    private readonly mode: ParseMode,
  ) {}

  /** The whole input's size when known in advance: the strings buffer is then allocated once. */
  expectBytes(total: number): void {
    this.expectedBytes = total
  }

  /** Parses `chunk` as far as it can; the chunk's memory is free for the caller's reuse afterwards. */
  write(chunk: Uint8Array | string): void {
    const bytes =
      typeof chunk === 'string'
        ? Buffer.from(chunk, 'utf8')
        : Buffer.isBuffer(chunk)
          ? chunk
          : Buffer.from(chunk.buffer, chunk.byteOffset, chunk.length)
    this.offset += this.pos
    this.buf = this.pos < this.buf.length ? Buffer.concat([this.buf.subarray(this.pos), bytes]) : bytes
    this.pos = 0
    while (this.pos < this.buf.length && this.step()) {
      // each step consumes input, or returns false to wait for more (only keys and the header carry bytes)
    }
    // The caller may reuse its buffer for the next chunk: what is carried is copied.
    if (this.pos < this.buf.length) {
      this.buf = Buffer.from(this.buf.subarray(this.pos))
      this.offset += this.pos
      this.pos = 0
    }
  }

  /**
   * True once the parser has all its mode needs: in mode `edges`, from the end of the edges
   * section on; the rest of the input need not be written.
   */
  get finished(): boolean {
    return this.state === 'done'
  }

  /**
   * How many bytes of input from here on the parser need not see. In a section of numbers this
   * mode skips (the edges in mode `ids`), each of the n numbers the header announces takes at
   * least a digit and a comma, so the section's first 2n − 2 bytes hold no `]`: a file reader
   * seeks past them (see {@link skip}) instead of reading them only to look for it.
   */
  skippableBytes(): number {
    const section = this.state
    if ((section !== 'nodes' && section !== 'edges') || !this.skips(section) || this.pos < this.buf.length) return 0
    const fields = section === 'nodes' ? this.meta!.node_fields.length : this.meta!.edge_fields.length
    const numbers = (section === 'nodes' ? this.nodeCount : this.edgeCount) * fields
    return Math.max(0, 2 * numbers - 2 - (this.offset + this.pos - this.sectionStart))
  }

  /** The caller left the next `bytes` of input unwritten, as {@link skippableBytes} allowed. */
  skip(bytes: number): void {
    this.offset += bytes
  }

  /**
   * The graph, once the whole input was written: mode `graph`, or mode `graph-but-edges` given the
   * edges a parse of the same input in mode `edges` read.
   */
  graph(edgesReadElsewhere?: EdgeColumns): RawSnapshot {
    const meta = this.complete()
    const edges = edgesReadElsewhere ?? { edgeType: this.edgeType, edgeName: this.edgeName, edgeTo: this.edgeTo }
    if (edges.edgeTo.length !== this.edgeCount)
      this.invalid(`the header says ${this.edgeCount} edges, "edges" holds ${edges.edgeTo.length}`)
    return {
      meta,
      rootNode: this.rootNode,
      nodeType: this.nodeType,
      nodeName: this.nodeName,
      nodeId: this.nodeId,
      selfSize: this.selfSize,
      firstEdge: this.firstEdge,
      edgeType: edges.edgeType,
      edgeName: edges.edgeName,
      edgeTo: edges.edgeTo,
      strings: new StringTable(
        this.stringBytes.subarray(0, this.stringBytesLength),
        this.spans,
        this.escaped,
        this.stringCount,
      ),
      locations: this.locations.subarray(0, this.locationCount),
    }
  }

  /** Each node's id, type and name hash, once the whole input was written (mode `ids`). */
  objectIds(): ObjectIds {
    this.complete()
    // The names were string indices while the strings were unknown: now their hashes.
    const nameHash = this.nodeName
    for (let n = 0; n < this.nodeCount; n++) nameHash[n] = this.stringHashes[nameHash[n]!] ?? 0
    return ObjectIds.of(this.nodeId, this.nodeType, nameHash)
  }

  /** The edge columns, once the input was written up to the end of its edges section (mode `edges`). */
  edgeColumns(): EdgeColumns {
    if (!this.meta) this.invalid('no "snapshot" header')
    if (this.state !== 'done')
      this.invalid('the file ends before its "edges" do (truncated: was it still being written?)')
    return { edgeType: this.edgeType, edgeName: this.edgeName, edgeTo: this.edgeTo }
  }

  /** Checks that the input was a whole snapshot and turns the edge counts into first edges, once. */
  private complete(): SnapshotMeta {
    if (this.completed) return this.meta!
    if (this.state !== 'start' || !this.meta || !this.seen.has('strings') || !this.seen.has('nodes')) {
      this.invalid(
        this.meta
          ? 'the file ends before the snapshot does (truncated: was it still being written?)'
          : 'no "snapshot" header',
      )
    }
    if (!this.seen.has('edges')) this.invalid('it has no "edges"')
    const edges = this.firstEdge
    for (let n = 0; n < this.nodeCount; n++) edges[n + 1]! += edges[n]!
    if (edges[this.nodeCount] !== this.edgeCount)
      this.invalid(`its nodes declare ${edges[this.nodeCount]} edges but the header says ${this.edgeCount}`)
    this.completed = true
    return this.meta
  }

  private invalid(why: string): never {
    throw new SnapshotError(
      'LEAKPROOF_SNAPSHOT_INVALID',
      `${this.source} is not a V8 heap snapshot leakproof can read: ${why}. Write one with writeHeapSnapshot(), v8.writeHeapSnapshot() or Chrome DevTools.`,
    )
  }

  /** One step of the state machine; false when it needs the next chunk. */
  private step(): boolean {
    const buf = this.buf
    switch (this.state) {
      case 'start': {
        this.skipSpace()
        if (this.pos >= buf.length) return false
        if (this.meta) this.invalid('there is more after its closing }')
        if (buf[this.pos] !== OPEN_BRACE)
          this.invalid(
            `it starts with ${JSON.stringify(buf.toString('utf8', this.pos, this.pos + 20))}, not {"snapshot":`,
          )
        this.pos++
        this.state = 'key'
        return true
      }
      case 'key': {
        while (this.pos < buf.length && (isSpace(buf[this.pos]!) || buf[this.pos] === COMMA)) this.pos++
        if (this.pos >= buf.length) return false
        if (buf[this.pos] === CLOSE_BRACE) {
          this.pos++
          this.state = 'start'
          return true
        }
        if (buf[this.pos] !== QUOTE)
          this.invalid(`unexpected ${JSON.stringify(String.fromCharCode(buf[this.pos]!))} where a key should be`)
        const end = buf.indexOf(QUOTE, this.pos + 1)
        if (end < 0) return false
        this.key = buf.toString('latin1', this.pos + 1, end)
        if (this.key !== 'snapshot' && !this.meta) this.invalid(`its first key is "${this.key}", not "snapshot"`)
        this.pos = end + 1
        this.state = 'colon'
        return true
      }
      case 'colon': {
        this.skipSpace()
        if (this.pos >= buf.length) return false
        if (buf[this.pos] !== COLON) this.invalid(`no ":" after "${this.key}"`)
        this.pos++
        this.state = 'value'
        return true
      }
      case 'value':
        return this.startValue()
      case 'header':
      case 'skip':
        return this.skipValue()
      case 'nodes':
        return this.skips('nodes') ? this.skipNumbers() : this.scanNodes()
      case 'edges':
        return this.skips('edges') ? this.skipNumbers() : this.scanEdges()
      case 'locations':
        // Closure positions name functions in a graph; the ids of a "before" have no use for them.
        return this.mode === 'ids' ? this.skipNumbers() : this.scanLocations()
      case 'strings':
        return this.mode === 'ids' ? this.hashStrings() : this.scanStrings()
      case 'done':
        this.pos = buf.length
        return false
    }
  }

  /** Whether this mode reads a section of numbers only to find its end. */
  private skips(section: 'nodes' | 'edges'): boolean {
    return section === 'nodes' ? this.mode === 'edges' : this.mode === 'ids' || this.mode === 'graph-but-edges'
  }

  private skipSpace(): void {
    while (this.pos < this.buf.length && isSpace(this.buf[this.pos]!)) this.pos++
  }

  private startValue(): boolean {
    this.skipSpace()
    if (this.pos >= this.buf.length) return false
    const key = this.key
    const known = key === 'nodes' || key === 'edges' || key === 'locations' || key === 'strings'
    if (known) {
      if (!this.meta) this.invalid(`"${key}" comes before the "snapshot" header`)
      if (this.buf[this.pos] !== OPEN_BRACKET) this.invalid(`"${key}" is not an array`)
      this.pos++
      this.sectionStart = this.offset + this.pos
      this.seen.add(key)
      this.current = 0
      this.inNumber = false
      this.negative = false
      this.field = 0
      this.record = 0
      if (key === 'edges') this.startEdges()
      if (key === 'strings') this.startStrings()
      this.state = key
      return true
    }
    this.depth = 0
    this.inString = false
    this.escapedChar = false
    this.header = []
    this.state = key === 'snapshot' ? 'header' : 'skip'
    return true
  }

  /** Reads the header and sizes the node columns from it. */
  private readHeader(text: string): void {
    let header: { meta?: SnapshotMeta; node_count?: number; edge_count?: number; root_index?: number }
    try {
      header = JSON.parse(text)
    } catch {
      this.invalid('its "snapshot" header is not valid JSON')
    }
    const meta = header.meta
    if (
      !meta ||
      !Array.isArray(meta.node_fields) ||
      !Array.isArray(meta.edge_fields) ||
      !Array.isArray(meta.node_types?.[0]) ||
      !Array.isArray(meta.edge_types?.[0])
    ) {
      this.invalid('its "snapshot" header has no meta with node_fields, node_types, edge_fields and edge_types')
    }
    const field = (fields: string[], name: string, what: string): number => {
      const at = fields.indexOf(name)
      if (at < 0)
        throw new SnapshotError(
          'LEAKPROOF_SNAPSHOT_INVALID',
          `heap snapshot meta has no ${what} field "${name}"; this V8 version writes a layout leakproof does not know.`,
        )
      return at
    }
    if (meta.node_types[0].length > 255 || meta.edge_types[0].length > 255)
      this.invalid('its header lists more than 255 node or edge types')
    this.meta = meta
    this.nodeCount = header.node_count ?? 0
    this.edgeCount = header.edge_count ?? 0
    this.rootNode = (header.root_index ?? 0) / meta.node_fields.length
    const at = {
      typeAt: field(meta.node_fields, 'type', 'node'),
      nameAt: field(meta.node_fields, 'name', 'node'),
      idAt: field(meta.node_fields, 'id', 'node'),
      selfSizeAt: this.mode === 'ids' ? -1 : field(meta.node_fields, 'self_size', 'node'),
      edgeCountAt: field(meta.node_fields, 'edge_count', 'node'),
    }
    const kinds = new Uint8Array(meta.node_fields.length)
    kinds[at.typeAt] = NODE_TYPE
    kinds[at.nameAt] = NODE_NAME
    kinds[at.idAt] = NODE_ID
    kinds[at.edgeCountAt] = NODE_EDGE_COUNT
    if (at.selfSizeAt >= 0) kinds[at.selfSizeAt] = NODE_SELF_SIZE
    this.nodeKinds = kinds
    if (this.mode === 'edges') return
    const n = this.nodeCount
    this.nodeType = new Uint8Array(n)
    this.nodeName = new Uint32Array(n)
    this.nodeId = new Uint32Array(n)
    this.firstEdge = new Uint32Array(n + 1)
    if (this.mode !== 'ids') this.selfSize = new Uint32Array(n)
  }

  private startEdges(): void {
    const meta = this.meta!
    if (this.skips('edges')) return
    const field = (name: string): number => {
      const at = meta.edge_fields.indexOf(name)
      if (at < 0)
        throw new SnapshotError(
          'LEAKPROOF_SNAPSHOT_INVALID',
          `heap snapshot meta has no edge field "${name}"; this V8 version writes a layout leakproof does not know.`,
        )
      return at
    }
    const kinds = new Uint8Array(meta.edge_fields.length)
    kinds[field('type')] = EDGE_TYPE
    kinds[field('name_or_index')] = EDGE_NAME
    kinds[field('to_node')] = EDGE_TO
    this.edgeKinds = kinds
    this.toDivisor = meta.node_fields.length
    this.edgeType = new Uint8Array(this.edgeCount)
    this.edgeName = new Uint32Array(this.edgeCount)
    this.edgeTo = new Uint32Array(this.edgeCount)
  }

  /**
   * The hot loop of the parse, with {@link scanEdges}: unsigned decimal integers separated by
   * commas and whitespace, up to `]`, each stored in its field's column as it ends.
   */
  private scanNodes(): boolean {
    const buf = this.buf
    const length = buf.length
    const kinds = this.nodeKinds
    const fields = kinds.length
    const { nodeType, nodeName, nodeId, selfSize, firstEdge } = this
    const limit = this.nodeCount
    let pos = this.pos
    let current = this.current
    let inNumber = this.inNumber
    let field = this.field
    let node = this.record
    const columns = { nodeType, nodeName, nodeId, selfSize, firstEdge }
    const fastEnd = length - FAST_RECORD_MARGIN
    const scanner = this.scanner
    while (pos < length) {
      if (scanner && field === 0 && !inNumber && pos < fastEnd) {
        const cursor = this.cursor
        cursor[POS] = pos
        cursor[RECORD] = node
        scanner.nodes(buf, fastEnd, limit, kinds, columns, cursor)
        pos = cursor[POS]!
        node = cursor[RECORD]!
      }
      let byte = buf[pos]!
      if (byte - ZERO <= 9 && byte >= ZERO) {
        current = current * 10 + (byte - ZERO)
        while (++pos < length && (byte = buf[pos]!) >= ZERO && byte <= NINE) current = current * 10 + (byte - ZERO)
        inNumber = true
        if (pos === length) break
      }
      if (inNumber) {
        if (node >= limit) this.invalid(`"nodes" holds more than the ${limit} nodes its header says`)
        switch (kinds[field]) {
          case NODE_TYPE:
            nodeType[node] = current
            break
          case NODE_NAME:
            nodeName[node] = current
            break
          case NODE_ID:
            nodeId[node] = current
            break
          case NODE_SELF_SIZE:
            selfSize[node] = current
            break
          case NODE_EDGE_COUNT:
            firstEdge[node + 1] = current
            break
        }
        if (++field === fields) {
          field = 0
          node++
        }
        current = 0
        inNumber = false
      }
      pos++
      if (byte === CLOSE_BRACKET) {
        if (node !== limit || field !== 0) this.invalid(`the header says ${limit} nodes, "nodes" holds ${node}`)
        this.state = 'key'
        break
      }
      if (byte !== COMMA && !isSpace(byte)) this.notNumber(byte)
    }
    this.pos = pos
    this.current = current
    this.inNumber = inNumber
    this.field = field
    this.record = node
    return this.state === 'key'
  }

  private scanEdges(): boolean {
    const buf = this.buf
    const length = buf.length
    const kinds = this.edgeKinds
    const fields = kinds.length
    const { edgeType, edgeName, edgeTo } = this
    // to_node is a node's offset in the nodes array, always a multiple of the field count: the
    // rounded product is exact and much cheaper than a division.
    const perNode = 1 / this.toDivisor
    const limit = this.edgeCount
    let pos = this.pos
    let current = this.current
    let inNumber = this.inNumber
    let field = this.field
    let edge = this.record
    const nodeCount = this.nodeCount
    // The layout of every V8 so far: whole records of it are read by the fast loop below.
    const v8Layout = fields === 3 && kinds[0] === EDGE_TYPE && kinds[1] === EDGE_NAME && kinds[2] === EDGE_TO
    const fastEnd = length - FAST_RECORD_MARGIN
    const scanner = v8Layout ? this.scanner : undefined
    const columns = { edgeType, edgeName, edgeTo }
    while (pos < length) {
      if (scanner && field === 0 && !inNumber && pos < fastEnd) {
        const cursor = this.cursor
        cursor[POS] = pos
        cursor[RECORD] = edge
        scanner.edges(buf, fastEnd, limit, this.toDivisor, nodeCount, columns, cursor)
        pos = cursor[POS]!
        edge = cursor[RECORD]!
      }
      let byte = buf[pos]!
      if (byte - ZERO <= 9 && byte >= ZERO) {
        // A tight loop over the digits of one number (most of the file's bytes).
        current = current * 10 + (byte - ZERO)
        while (++pos < length && (byte = buf[pos]!) >= ZERO && byte <= NINE) current = current * 10 + (byte - ZERO)
        inNumber = true
        if (pos === length) break
      }
      if (inNumber) {
        if (edge >= limit) this.invalid(`"edges" holds more than the ${limit} edges its header says`)
        const kind = kinds[field]
        if (kind === EDGE_TO) {
          const to = Math.round(current * perNode)
          if (to >= nodeCount) this.invalid(`edge ${edge} points past the last node`)
          edgeTo[edge] = to
        } else if (kind === EDGE_NAME) edgeName[edge] = current
        else if (kind === EDGE_TYPE) edgeType[edge] = current
        if (++field === fields) {
          field = 0
          edge++
        }
        current = 0
        inNumber = false
      }
      pos++
      if (byte === CLOSE_BRACKET) {
        if (edge !== limit || field !== 0) this.invalid(`the header says ${limit} edges, "edges" holds ${edge}`)
        this.state = this.mode === 'edges' ? 'done' : 'key'
        break
      }
      if (byte !== COMMA && !isSpace(byte)) this.notNumber(byte)
    }
    this.pos = pos
    this.current = current
    this.inNumber = inNumber
    this.field = field
    this.record = edge
    return this.state !== 'edges'
  }

  /** Modes that skip a section of numbers: it holds only digits, `-`, commas and whitespace, so its end is the first `]`. */
  private skipNumbers(): boolean {
    const end = this.buf.indexOf(CLOSE_BRACKET, this.pos)
    if (end < 0) {
      this.pos = this.buf.length
      return false
    }
    this.pos = end + 1
    this.state = 'key'
    return true
  }

  /** Flat `locations`; Node 24 writes -1 for a closure whose position V8 does not know (stored as {@link UNKNOWN}). */
  private scanLocations(): boolean {
    const buf = this.buf
    const fastEnd = buf.length - FAST_RECORD_MARGIN
    for (; this.pos < buf.length; this.pos++) {
      if (this.scanner && this.mode !== 'ids' && !this.inNumber && !this.negative && this.pos < fastEnd) {
        // Whole numbers at once; one cut by the chunk's end goes on below.
        this.reserveLocations(this.locationCount + Math.floor((buf.length - this.pos) / 2) + 1)
        const cursor = this.cursor
        cursor[POS] = this.pos
        cursor[RECORD] = this.locationCount
        this.scanner.numbers(buf, fastEnd, 0xffffffff, this.locations, cursor)
        this.pos = cursor[POS]!
        this.locationCount = cursor[RECORD]!
        if (this.pos >= buf.length) break
      }
      const byte = buf[this.pos]!
      const digit = byte - ZERO
      if (digit >= 0 && digit <= 9) {
        this.current = this.current * 10 + digit
        this.inNumber = true
        continue
      }
      if (byte === MINUS && !this.inNumber) {
        this.negative = true
        continue
      }
      if (this.inNumber) {
        if (this.mode !== 'ids') {
          this.reserveLocations(this.locationCount + 1)
          this.locations[this.locationCount++] = this.negative ? UNKNOWN : this.current
        }
        this.current = 0
        this.inNumber = false
        this.negative = false
      }
      if (byte === CLOSE_BRACKET) {
        this.pos++
        this.state = 'key'
        return true
      }
      if (byte !== COMMA && !isSpace(byte)) this.notNumber(byte)
    }
    return false
  }

  /** Room in `locations` for `count` numbers, doubling. */
  private reserveLocations(count: number): void {
    if (count <= this.locations.length) return
    let size = Math.max(1024, this.locations.length)
    while (size < count) size *= 2
    const grown = new Uint32Array(size)
    grown.set(this.locations.subarray(0, this.locationCount))
    this.locations = grown
  }

  private notNumber(byte: number): never {
    this.invalid(`"${this.key}" holds ${JSON.stringify(String.fromCharCode(byte))}; expected unsigned integers`)
  }

  private startStrings(): void {
    this.inString = false
    this.escapedChar = false
    if (this.mode !== 'ids') {
      // The strings come last: what is left of the input is their size, give or take a few bytes.
      const left = this.expectedBytes - this.offset - this.pos
      this.stringBytes = Buffer.allocUnsafe(Math.max(left > 0 ? left : 0, 1 << 20))
      this.stringBytesLength = 0
      this.spans = new Uint32Array(1 << 16)
      this.escaped = new Uint8Array(1 << 15)
    } else this.stringHashes = new Uint32Array(1 << 15)
    this.stringCount = 0
  }

  /**
   * Mode `graph`: copies the section's bytes as they are and records where each string's content
   * starts and ends in them. A string cut by the chunk boundary simply goes on in the next chunk.
   */
  private scanStrings(): boolean {
    const buf = this.buf
    const length = buf.length
    const from = this.pos
    // Offset in the strings buffer of buf[0] for this chunk.
    const base = this.stringBytesLength - from
    let pos = from
    let inString = this.inString
    let escapedChar = this.escapedChar
    let done = false
    const fastEnd = length - FAST_RECORD_MARGIN
    while (pos < length) {
      if (this.scanner && !inString && pos < fastEnd) {
        // Whole strings at once; what is cut by the chunk's end goes on below.
        this.reserveStrings(this.stringCount + Math.floor((length - pos) / 3) + 1)
        const cursor = this.cursor
        cursor[POS] = pos
        cursor[RECORD] = this.stringCount
        this.scanner.strings(buf, fastEnd, 0xffffffff, base, this.spans, this.escaped, cursor)
        pos = cursor[POS]!
        this.stringCount = cursor[RECORD]!
        if (pos >= length) break
      }
      if (!inString) {
        const byte = buf[pos]!
        if (byte === QUOTE) {
          inString = true
          this.hasEscape = false
          this.openString(base + pos + 1)
        } else if (byte === CLOSE_BRACKET) {
          pos++
          done = true
          break
        } else if (byte !== COMMA && !isSpace(byte)) this.invalid('"strings" holds something other than strings')
        pos++
        continue
      }
      for (; pos < length; pos++) {
        const byte = buf[pos]!
        if (escapedChar) escapedChar = false
        else if (byte === BACKSLASH) escapedChar = this.hasEscape = true
        else if (byte === QUOTE) break
      }
      if (pos < length) {
        this.closeString(base + pos)
        inString = false
        pos++
      }
    }
    this.appendStringBytes(buf, from, pos)
    this.pos = pos
    this.inString = inString
    this.escapedChar = escapedChar
    if (done) this.state = 'key'
    return done
  }

  private openString(start: number): void {
    this.reserveStrings(this.stringCount + 1)
    this.spans[2 * this.stringCount] = start
  }

  /** Room in `spans` and `escaped` for `count` strings, doubling. */
  private reserveStrings(count: number): void {
    if (2 * count <= this.spans.length) return
    let size = this.escaped.length
    while (size < count) size *= 2
    const spans = new Uint32Array(2 * size)
    spans.set(this.spans.subarray(0, 2 * this.stringCount))
    this.spans = spans
    const escaped = new Uint8Array(size)
    escaped.set(this.escaped.subarray(0, this.stringCount))
    this.escaped = escaped
  }

  private closeString(end: number): void {
    this.spans[2 * this.stringCount + 1] = end
    this.escaped[this.stringCount] = this.hasEscape ? 1 : 0
    this.stringCount++
  }

  private appendStringBytes(buf: Buffer, from: number, to: number): void {
    const needed = this.stringBytesLength + (to - from)
    if (needed > this.stringBytes.length) {
      const grown = Buffer.allocUnsafe(Math.max(needed, this.stringBytes.length * 2))
      this.stringBytes.copy(grown, 0, 0, this.stringBytesLength)
      this.stringBytes = grown
    }
    buf.copy(this.stringBytes, this.stringBytesLength, from, to)
    this.stringBytesLength = needed
  }

  /** Mode `ids`: one hash per string of its raw bytes, continued across chunk boundaries. */
  private hashStrings(): boolean {
    const buf = this.buf
    const length = buf.length
    let pos = this.pos
    while (pos < length) {
      if (!this.inString) {
        const byte = buf[pos++]!
        if (byte === QUOTE) {
          this.inString = true
          this.hash = FNV_OFFSET
        } else if (byte === CLOSE_BRACKET) {
          this.pos = pos
          this.state = 'key'
          return true
        } else if (byte !== COMMA && !isSpace(byte)) this.invalid('"strings" holds something other than strings')
        continue
      }
      const start = pos
      let escapedChar = this.escapedChar
      for (; pos < length; pos++) {
        const byte = buf[pos]!
        if (escapedChar) escapedChar = false
        else if (byte === BACKSLASH) escapedChar = true
        else if (byte === QUOTE) break
      }
      this.escapedChar = escapedChar
      this.hash = hashBytes(buf, start, pos, this.hash)
      if (pos < length) {
        if (this.stringCount === this.stringHashes.length) {
          const grown = new Uint32Array(this.stringHashes.length * 2)
          grown.set(this.stringHashes)
          this.stringHashes = grown
        }
        this.stringHashes[this.stringCount++] = this.hash
        this.inString = false
        pos++
      }
    }
    this.pos = pos
    return false
  }

  /**
   * Finds the end of one JSON value by bracket matching (strings respected). The `snapshot`
   * header is kept and JSON.parsed (it is small); any other value is skipped.
   */
  private skipValue(): boolean {
    const buf = this.buf
    const from = this.pos
    let i = from
    let end = -1
    for (; i < buf.length; i++) {
      const byte = buf[i]!
      if (this.inString) {
        if (this.escapedChar) this.escapedChar = false
        else if (byte === BACKSLASH) this.escapedChar = true
        else if (byte === QUOTE) this.inString = false
        continue
      }
      if (byte === QUOTE) this.inString = true
      else if (byte === OPEN_BRACE || byte === OPEN_BRACKET) this.depth++
      else if (byte === CLOSE_BRACE || byte === CLOSE_BRACKET) {
        this.depth--
        if (this.depth === 0) {
          end = i + 1
          break
        }
        if (this.depth < 0) this.invalid(`unbalanced brackets in "${this.key}"`)
      } else if (this.depth === 0 && (byte === COMMA || isSpace(byte))) {
        end = i
        break
      }
    }
    const stop = end < 0 ? buf.length : end
    if (this.state === 'header') this.header.push(Buffer.from(buf.subarray(from, stop)))
    this.pos = stop
    if (end < 0) return false
    if (this.state === 'header') this.readHeader(Buffer.concat(this.header).toString('utf8'))
    this.header = []
    this.state = 'key'
    return true
  }
}
