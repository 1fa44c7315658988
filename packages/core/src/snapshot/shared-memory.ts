/**
 * Typed arrays over SharedArrayBuffers, for the columns of a parsed graph: a worker thread reads
 * them where they are (paths-on-thread.ts), where an ArrayBuffer would be copied or taken away.
 * They cost what an ArrayBuffer costs (zeroed pages, mapped as they are touched).
 */
export function sharedUint8(length: number): Uint8Array {
  return new Uint8Array(new SharedArrayBuffer(length))
}

export function sharedUint32(length: number): Uint32Array {
  return new Uint32Array(new SharedArrayBuffer(4 * length))
}

export function sharedBuffer(length: number): Buffer {
  return Buffer.from(new SharedArrayBuffer(length))
}
