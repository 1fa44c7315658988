import { createReadStream } from 'node:fs'
import { stat } from 'node:fs/promises'
import { SnapshotError } from './errors.js'
import { HeapSnapshot, UNKNOWN, type SnapshotMeta } from './heap-snapshot.js'

export interface ParseOptions {
  /** Called after each chunk read; `totalBytes` is the file size. */
  onProgress?: (bytesRead: number, totalBytes: number) => void
}

/** Big enough that per-chunk overhead vanishes, small enough to keep the read buffer cheap. */
const CHUNK_BYTES = 4 * 1024 * 1024

/**
 * Reads a `.heapsnapshot` file into a {@link HeapSnapshot} without holding its text: the file is
 * read in chunks and the `nodes`/`edges`/`locations` integer arrays are scanned byte by byte
 * straight into `Uint32Array`s (JSON.parse of a 300 MB snapshot needs 1.4 GB; this needs about the
 * typed arrays' size). Only the small `snapshot` header and each string are handed to JSON.parse.
 *
 * Throws a {@link SnapshotError}: `LEAKPROOF_SNAPSHOT_MISSING` when the file is not there,
 * `LEAKPROOF_SNAPSHOT_INVALID` when it is not a complete V8 heap snapshot.
 */
export async function parseHeapSnapshot(path: string, options: ParseOptions = {}): Promise<HeapSnapshot> {
  const missing = (why = 'does not exist or cannot be read'): SnapshotError =>
    new SnapshotError(
      'LEAKPROOF_SNAPSHOT_MISSING',
      `heap snapshot ${path} ${why}; check the path, or capture one with writeHeapSnapshot().`,
    )
  let totalBytes: number
  try {
    const stats = await stat(path)
    if (!stats.isFile()) throw missing(stats.isDirectory() ? 'is a directory, not a file' : 'is not a regular file')
    totalBytes = stats.size
  } catch (error) {
    throw error instanceof SnapshotError ? error : missing()
  }
  const scanner = new SnapshotScanner(path)
  let bytesRead = 0
  try {
    for await (const chunk of createReadStream(path, { highWaterMark: CHUNK_BYTES })) {
      scanner.push(chunk as Buffer)
      bytesRead += (chunk as Buffer).length
      options.onProgress?.(bytesRead, totalBytes)
    }
  } catch (error) {
    // A read that fails after stat (permissions, a file removed meanwhile): the file's fault, not ours.
    const code = (error as NodeJS.ErrnoException).code
    throw error instanceof SnapshotError || !code ? error : missing(`cannot be read (${code})`)
  }
  return new HeapSnapshot(scanner.finish())
}

type State = 'start' | 'key' | 'colon' | 'value' | 'numbers' | 'strings' | 'json' | 'end'

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

function isSpace(byte: number): boolean {
  return byte === 0x20 || byte === 0x0a || byte === 0x0d || byte === 0x09
}

/**
 * A push parser for the top level of a heap snapshot: `{"snapshot": {...}, "nodes": [...], ...}`.
 * Keys it does not need (`trace_tree`, `samples`, …) are skipped by bracket matching. Bytes a step
 * cannot finish yet (a string cut by the chunk boundary) are carried into the next chunk; number
 * scanning keeps its state and never needs a carry.
 */
class SnapshotScanner {
  private buf: Buffer = Buffer.alloc(0)
  private pos = 0
  private state: State = 'start'
  private key = ''
  private meta: SnapshotMeta | undefined
  private rootOffset = 0
  private nodeCount = 0
  private edgeCount = 0
  private numbers = new Uint32Array(0)
  private numberCount = 0
  private current = 0
  private inNumber = false
  private negative = false
  private readonly arrays = new Map<string, Uint32Array>()
  private strings: string[] | undefined
  private readonly collected: string[] = []
  // Resumable scan of a JSON value (string or bracketed) that may span chunks.
  private scanFrom = 0
  private depth = 0
  private inString = false
  private escaped = false
  private hasEscape = false

  constructor(private readonly path: string) {}

  push(chunk: Buffer): void {
    if (this.pos < this.buf.length) {
      const carried = this.buf.subarray(this.pos)
      this.scanFrom -= this.pos
      this.buf = Buffer.concat([carried, chunk])
    } else {
      this.scanFrom = 0
      this.buf = chunk
    }
    this.pos = 0
    while (this.pos < this.buf.length && this.step()) {
      // each step consumes input or returns false to wait for more
    }
  }

  finish(): {
    meta: SnapshotMeta
    rootOffset: number
    nodes: Uint32Array
    edges: Uint32Array
    strings: string[]
    locations: Uint32Array
  } {
    const nodes = this.arrays.get('nodes')
    const edges = this.arrays.get('edges')
    if (this.state !== 'end' || !this.meta || !nodes || !edges || !this.strings) {
      this.invalid(
        this.meta
          ? 'the file ends before the snapshot does (truncated: was it still being written?)'
          : 'no "snapshot" header',
      )
    }
    const fields = this.meta.node_fields.length
    if (nodes.length !== this.nodeCount * fields || edges.length !== this.edgeCount * this.meta.edge_fields.length) {
      this.invalid(
        `the header says ${this.nodeCount} nodes and ${this.edgeCount} edges, the arrays hold ${nodes.length / fields} and ${edges.length / this.meta.edge_fields.length}`,
      )
    }
    return {
      meta: this.meta,
      rootOffset: this.rootOffset,
      nodes,
      edges,
      strings: this.strings,
      locations: this.arrays.get('locations') ?? new Uint32Array(0),
    }
  }

  private invalid(why: string): never {
    throw new SnapshotError(
      'LEAKPROOF_SNAPSHOT_INVALID',
      `${this.path} is not a V8 heap snapshot leakproof can read: ${why}. Write one with writeHeapSnapshot(), v8.writeHeapSnapshot() or Chrome DevTools.`,
    )
  }

  /** One step of the state machine; false when it needs the next chunk. */
  private step(): boolean {
    const buf = this.buf
    switch (this.state) {
      case 'start': {
        this.skipSpace()
        if (this.pos >= buf.length) return false
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
          this.pos = buf.length
          this.state = 'end'
          return false
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
      case 'value': {
        this.skipSpace()
        if (this.pos >= buf.length) return false
        if (this.key === 'nodes' || this.key === 'edges' || this.key === 'locations') {
          if (buf[this.pos] !== OPEN_BRACKET) this.invalid(`"${this.key}" is not an array`)
          this.pos++
          this.startNumbers()
          this.state = 'numbers'
        } else if (this.key === 'strings') {
          if (buf[this.pos] !== OPEN_BRACKET) this.invalid('"strings" is not an array')
          this.pos++
          this.state = 'strings'
        } else {
          this.startScan()
          this.state = 'json'
        }
        return true
      }
      case 'numbers':
        this.scanNumbers()
        return true
      case 'strings':
        return this.scanStrings()
      case 'json':
        return this.scanJsonValue()
      case 'end':
        this.skipSpace()
        if (this.pos < buf.length) this.invalid('there is more after its closing }')
        return false
    }
  }

  private skipSpace(): void {
    while (this.pos < this.buf.length && isSpace(this.buf[this.pos]!)) this.pos++
  }

  private startNumbers(): void {
    const meta = this.meta
    const expected = !meta
      ? 0
      : this.key === 'nodes'
        ? this.nodeCount * meta.node_fields.length
        : this.key === 'edges'
          ? this.edgeCount * meta.edge_fields.length
          : 0
    this.numbers = new Uint32Array(Math.max(expected, 1024))
    this.numberCount = 0
    this.current = 0
    this.inNumber = false
  }

  /** The hot loop: unsigned decimal integers separated by commas and whitespace, up to `]`. */
  private scanNumbers(): void {
    const buf = this.buf
    const length = buf.length
    let pos = this.pos
    let current = this.current
    let inNumber = this.inNumber
    let numbers = this.numbers
    let count = this.numberCount
    for (; pos < length; pos++) {
      const byte = buf[pos]!
      if (byte >= ZERO && byte <= NINE) {
        current = current * 10 + (byte - ZERO)
        inNumber = true
        continue
      }
      // Node 24 writes -1 in `locations` for a closure whose position V8 does not know: stored as
      // 0xffffffff, which readers take as "unknown".
      if (byte === MINUS && !inNumber && this.key === 'locations') {
        this.negative = true
        continue
      }
      if (inNumber) {
        if (count === numbers.length) {
          const grown = new Uint32Array(numbers.length * 2)
          grown.set(numbers)
          numbers = grown
        }
        numbers[count++] = this.negative ? UNKNOWN : current
        current = 0
        inNumber = false
        this.negative = false
      }
      if (byte === CLOSE_BRACKET) {
        this.arrays.set(this.key, numbers.length === count ? numbers : numbers.slice(0, count))
        this.state = 'key'
        pos++
        break
      }
      if (byte !== COMMA && !isSpace(byte))
        this.invalid(`"${this.key}" holds ${JSON.stringify(String.fromCharCode(byte))}; expected unsigned integers`)
    }
    this.pos = pos
    this.current = current
    this.inNumber = inNumber
    this.numbers = numbers
    this.numberCount = count
  }

  /** One string of the `strings` array per call; escapes and non-ASCII are decoded properly. */
  private scanStrings(): boolean {
    const buf = this.buf
    if (!this.inString) {
      while (this.pos < buf.length && (isSpace(buf[this.pos]!) || buf[this.pos] === COMMA)) this.pos++
      if (this.pos >= buf.length) return false
      if (buf[this.pos] === CLOSE_BRACKET) {
        this.pos++
        this.strings = this.collected
        this.state = 'key'
        return true
      }
      if (buf[this.pos] !== QUOTE) this.invalid('"strings" holds something other than strings')
      this.inString = true
      this.escaped = false
      this.hasEscape = false
      this.scanFrom = this.pos + 1
    }
    const end = this.findStringEnd()
    if (end < 0) return false
    this.collected.push(
      this.hasEscape
        ? (JSON.parse(buf.toString('utf8', this.pos, end + 1)) as string)
        : buf.toString('utf8', this.pos + 1, end),
    )
    this.inString = false
    this.pos = end + 1
    return true
  }

  /** Index of the closing quote of the string being scanned, or -1 (scan resumes there next chunk). */
  private findStringEnd(): number {
    const buf = this.buf
    for (let i = this.scanFrom; i < buf.length; i++) {
      const byte = buf[i]!
      if (this.escaped) this.escaped = false
      else if (byte === BACKSLASH) this.escaped = this.hasEscape = true
      else if (byte === QUOTE) return i
    }
    this.scanFrom = buf.length
    return -1
  }

  private startScan(): void {
    this.scanFrom = this.pos
    this.depth = 0
    this.inString = false
    this.escaped = false
  }

  /**
   * Finds the end of one JSON value by bracket matching (strings respected). The `snapshot`
   * header is JSON.parsed (it is small); any other value is skipped.
   */
  private scanJsonValue(): boolean {
    const buf = this.buf
    let i = this.scanFrom
    for (; i < buf.length; i++) {
      const byte = buf[i]!
      if (this.inString) {
        if (this.escaped) this.escaped = false
        else if (byte === BACKSLASH) this.escaped = true
        else if (byte === QUOTE) this.inString = false
        continue
      }
      if (byte === QUOTE) this.inString = true
      else if (byte === OPEN_BRACE || byte === OPEN_BRACKET) this.depth++
      else if (byte === CLOSE_BRACE || byte === CLOSE_BRACKET) {
        this.depth--
        if (this.depth === 0) break
        if (this.depth < 0) this.invalid(`unbalanced brackets in "${this.key}"`)
      } else if (this.depth === 0 && (byte === COMMA || isSpace(byte))) {
        i--
        break
      }
    }
    if (i >= buf.length) {
      this.scanFrom = buf.length
      return false
    }
    if (this.key === 'snapshot') this.readHeader(buf.toString('utf8', this.pos, i + 1))
    this.pos = i + 1
    this.state = 'key'
    return true
  }

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
    this.meta = meta
    this.nodeCount = header.node_count ?? 0
    this.edgeCount = header.edge_count ?? 0
    this.rootOffset = header.root_index ?? 0
  }
}
