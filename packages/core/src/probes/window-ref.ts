/**
 * Probes record what happens while windows are open. Each record belongs to the innermost window
 * open at the time: a test window inside a file window, so a file is never blamed for what one of
 * its tests left (that test already was).
 */
export interface WindowRef {
  readonly kind: 'test' | 'file'
  /** While re-running for confirmation, probes record nothing: the first run's findings stand. */
  recording: boolean
  /**
   * Opened by leakproof to run a test again, from wherever it judges (after later tests): what runs
   * in it is its doing, even as a continuation of another test's async work.
   */
  readonly replay?: boolean
}

const open: WindowRef[] = []

export function openWindow(ref: WindowRef): void {
  open.push(ref)
}

export function closeWindow(ref: WindowRef): void {
  const i = open.lastIndexOf(ref)
  if (i >= 0) open.splice(i, 1)
}

/** The window a new record belongs to, or undefined when nothing is being recorded. */
export function recordingWindow(): WindowRef | undefined {
  const w = open[open.length - 1]
  return w?.recording ? w : undefined
}

/** The innermost open window, recording or not (a window being re-run records nothing). */
export function innermostWindow(): WindowRef | undefined {
  return open[open.length - 1]
}

export function isOpen(ref: WindowRef): boolean {
  return open.includes(ref)
}
