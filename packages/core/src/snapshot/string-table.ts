/**
 * The `strings` array of a heap snapshot as the file holds it: raw UTF-8 bytes (still JSON-escaped)
 * and the span of each string in them, decoded one string at a time when asked. A snapshot has
 * hundreds of thousands of strings and an analysis reads a few thousand of them; decoding all of
 * them up front costs a JS string each on the heap (about twice their bytes, plus a header).
 */
export class StringTable {
  /**
   * @param bytes the raw `strings` section (quotes, commas and escapes included)
   * @param spans start and end (exclusive) of string i's content at `2i`, `2i + 1`
   * @param escaped 1 where the string has a backslash escape (decoded by JSON.parse)
   */
  constructor(
    private readonly bytes: Buffer,
    private readonly spans: Uint32Array,
    private readonly escaped: Uint8Array,
    readonly count: number,
  ) {}

  get(index: number): string {
    if (index >= this.count) return ''
    const start = this.spans[2 * index]!
    const end = this.spans[2 * index + 1]!
    // The quotes around the content are in `bytes`, so an escaped string parses in place.
    return this.escaped[index]
      ? (JSON.parse(this.bytes.toString('utf8', start - 1, end + 1)) as string)
      : this.bytes.toString('utf8', start, end)
  }

  /** Whether string `index` starts with `prefix` (ASCII), read from the bytes without decoding. */
  startsWith(index: number, prefix: string): boolean {
    if (index >= this.count) return false
    const start = this.spans[2 * index]!
    if (this.spans[2 * index + 1]! - start < prefix.length) return false
    for (let i = 0; i < prefix.length; i++) if (this.bytes[start + i] !== prefix.charCodeAt(i)) return false
    return true
  }

  /** Whether string `index` is `text` (ASCII, no escapes), read from the bytes without decoding. */
  equals(index: number, text: string): boolean {
    return (
      index < this.count &&
      this.spans[2 * index + 1]! - this.spans[2 * index]! === text.length &&
      this.startsWith(index, text)
    )
  }

  /** Index of the first string that is `text` (ASCII, no escapes), or -1. */
  find(text: string): number {
    for (let i = 0; i < this.count; i++) if (this.equals(i, text)) return i
    return -1
  }

  /** Whether string `index` contains `text` (ASCII), read from the bytes without decoding. */
  includes(index: number, text: string): boolean {
    if (index >= this.count) return false
    const start = this.spans[2 * index]!
    const last = this.spans[2 * index + 1]! - text.length
    const first = text.charCodeAt(0)
    for (let at = start; at <= last; at++) {
      if (this.bytes[at] !== first) continue
      let i = 1
      while (i < text.length && this.bytes[at + i] === text.charCodeAt(i)) i++
      if (i === text.length) return true
    }
    return false
  }

  /**
   * 1 for each string that contains `text` (ASCII), found by one native search of the raw bytes
   * (`Buffer.indexOf`) rather than a loop per string: the question "which names say X" asked of
   * every edge of a snapshot then costs a byte read per edge.
   */
  containing(text: string): Uint8Array {
    const found = new Uint8Array(this.count)
    for (let at = this.bytes.indexOf(text, 0, 'latin1'); at >= 0; at = this.bytes.indexOf(text, at + 1, 'latin1')) {
      const string = this.stringAt(at)
      if (string >= 0 && at + text.length <= this.spans[2 * string + 1]!) found[string] = 1
    }
    return found
  }

  /** The string whose content holds byte `at` of the raw bytes (a binary search of the spans), or -1. */
  private stringAt(at: number): number {
    let low = 0
    let high = this.count - 1
    while (low < high) {
      const mid = (low + high + 1) >>> 1
      if (this.spans[2 * mid]! <= at) low = mid
      else high = mid - 1
    }
    return this.count > 0 && this.spans[2 * low]! <= at && at < this.spans[2 * low + 1]! ? low : -1
  }

  /** The string's value when it is a decimal integer (`"42"`), read from the bytes; else -1. */
  integerAt(index: number): number {
    if (index >= this.count) return -1
    const start = this.spans[2 * index]!
    const end = this.spans[2 * index + 1]!
    if (start === end || end - start > 15) return -1
    let value = 0
    for (let i = start; i < end; i++) {
      const digit = this.bytes[i]! - 0x30
      if (digit < 0 || digit > 9) return -1
      value = value * 10 + digit
    }
    return value
  }

  /**
   * A 32-bit hash of each string's raw bytes (FNV-1a). The same V8 writes the same string the
   * same way, so two snapshots of one process can compare names by hash: see object-ids.ts.
   */
  hashes(): Uint32Array {
    const hashes = new Uint32Array(this.count)
    for (let i = 0; i < this.count; i++) hashes[i] = hashBytes(this.bytes, this.spans[2 * i]!, this.spans[2 * i + 1]!)
    return hashes
  }
}

export const FNV_OFFSET = 0x811c9dc5
const FNV_PRIME = 0x01000193

/** FNV-1a over `bytes[start..end)`, continuing from `hash` (so a string cut by a chunk boundary hashes the same). */
export function hashBytes(bytes: Uint8Array, start: number, end: number, hash = FNV_OFFSET): number {
  let h = hash
  for (let i = start; i < end; i++) h = Math.imul(h ^ bytes[i]!, FNV_PRIME)
  return h >>> 0
}
