import { open, type FileHandle } from 'node:fs/promises'
import { SnapshotError } from './errors.js'
import type { SnapshotParser } from './snapshot-parser.js'

/** Big enough that per-read overhead vanishes, small enough to keep the two read buffers cheap. */
const CHUNK_BYTES = 4 * 1024 * 1024

/**
 * Reads a `.heapsnapshot` file into a {@link SnapshotParser} in chunks, never holding its text, two
 * buffers in turn: the next chunk is read (on libuv's threads) while this one is parsed. The parser
 * copies what it carries from a chunk, so a buffer is free for the next read once `write` returns.
 * Seeks past what the parser need not see (most of a section it skips) and stops reading once it
 * has what its mode needs (mode `edges` leaves the strings unread).
 *
 * Throws a {@link SnapshotError} `LEAKPROOF_SNAPSHOT_MISSING` when the file is not there or cannot
 * be read; the parser throws `LEAKPROOF_SNAPSHOT_INVALID` for what is not a heap snapshot.
 */
export async function readSnapshotFile(
  path: string,
  parser: SnapshotParser,
  onProgress?: (bytesRead: number, totalBytes: number) => void,
): Promise<void> {
  const missing = (why = 'does not exist or cannot be read'): SnapshotError =>
    new SnapshotError(
      'LEAKPROOF_SNAPSHOT_MISSING',
      `heap snapshot ${path} ${why}; check the path, or capture one with writeHeapSnapshot().`,
    )
  let file: FileHandle
  try {
    file = await open(path, 'r')
  } catch {
    throw missing()
  }
  try {
    const stats = await file.stat()
    if (!stats.isFile()) throw missing(stats.isDirectory() ? 'is a directory, not a file' : 'is not a regular file')
    parser.expectBytes(stats.size)
    const buffers = [Buffer.allocUnsafe(CHUNK_BYTES), Buffer.allocUnsafe(CHUNK_BYTES)]
    let bytesRead = 0
    let which = 0
    let pending = file.read(buffers[0]!, 0, CHUNK_BYTES, 0)
    for (;;) {
      const { bytesRead: n } = await pending
      if (n === 0) break
      const chunk = buffers[which]!.subarray(0, n)
      bytesRead += n
      which ^= 1
      pending = file.read(buffers[which]!, 0, CHUNK_BYTES, bytesRead)
      parser.write(chunk)
      const skippable = parser.skippableBytes()
      if (skippable > 0) {
        await pending // a read of bytes now skipped: into the same buffer, from further on
        parser.skip(skippable)
        bytesRead += skippable
        pending = file.read(buffers[which]!, 0, CHUNK_BYTES, bytesRead)
      }
      onProgress?.(bytesRead, stats.size)
      if (parser.finished) {
        await pending // the read under way, before the file is closed
        break
      }
    }
  } catch (error) {
    // A read that fails after open (a directory, a file removed meanwhile): the file's fault, not ours.
    const code = (error as NodeJS.ErrnoException).code
    throw error instanceof SnapshotError || !code ? error : missing(`cannot be read (${code})`)
  } finally {
    await file.close()
  }
}
