/**
 * Why a heap snapshot could not be analysed. `code` is stable for programs; the message names the
 * file and ends with what to do about it.
 */
export type SnapshotErrorCode =
  'LEAKPROOF_SNAPSHOT_MISSING' | 'LEAKPROOF_SNAPSHOT_INVALID' | 'LEAKPROOF_SNAPSHOT_MISMATCH'

export class SnapshotError extends Error {
  constructor(
    readonly code: SnapshotErrorCode,
    message: string,
  ) {
    super(`leakproof: ${message}`)
    this.name = 'SnapshotError'
  }
}
