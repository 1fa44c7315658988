/**
 * The progress bar drawn on stderr while snapshots are read: `renderProgress` is the pure line,
 * `progressBar` draws and erases it. Drawn only on a terminal (a CI log or a pipe gets nothing) and
 * only once reading has taken a moment, so a small snapshot never flickers a bar.
 */

export interface ProgressState {
  label: string
  bytesRead: number
  totalBytes: number
  /** Since reading started. */
  elapsedMs: number
  /** Terminal width; the line never exceeds it. */
  columns: number
  /** After the last byte: what is being done now (`analysing`). */
  phase?: string
}

const MB = 1024 ** 2
const BAR_MAX = 30
const BAR_MIN = 10

/**
 * `reading snapshots  [██████░░░░]   52%  104.0/200.0 MB   85.3 MB/s`, never wider than `columns`.
 * The numbers are padded to their widest, so the bar keeps its width while they change.
 */
export function renderProgress(state: ProgressState): string {
  const { label, bytesRead, totalBytes, elapsedMs, columns } = state
  const fraction = totalBytes > 0 ? Math.min(1, bytesRead / totalBytes) : 1
  const percent = `${Math.floor(fraction * 100)}%`.padStart(4)
  const total = (totalBytes / MB).toFixed(1)
  const amounts = `${(bytesRead / MB).toFixed(1).padStart(total.length)}/${total} MB`
  const rate = state.phase
    ? `${state.phase}…`
    : `${(elapsedMs > 0 ? bytesRead / MB / (elapsedMs / 1000) : 0).toFixed(1)} MB/s`.padStart(RATE_WIDTH)
  const tail = `${percent}  ${amounts}  ${rate}`
  const width = Math.min(BAR_MAX, columns - 1 - label.length - 6 - (tail.length - rate.length + RATE_WIDTH))
  const line =
    width < BAR_MIN
      ? `${label}  ${tail}`
      : `${label}  [${'█'.repeat(Math.round(fraction * width))}${'░'.repeat(width - Math.round(fraction * width))}]  ${tail}`
  return line.slice(0, Math.max(0, columns - 1))
}

/** `9999.9 MB/s` */
const RATE_WIDTH = 11

export interface ProgressStream {
  isTTY?: boolean
  columns?: number
  write(text: string): unknown
}

export interface ProgressBar {
  update(bytesRead: number, totalBytes: number): void
  /** Reading is done; say what happens until `done()`. */
  phase(text: string): void
  /** Erases the line (call before printing anything else on the terminal). */
  done(): void
}

export interface ProgressOptions {
  stream: ProgressStream
  label: string
  /** False with `--json`, or when stderr is not a terminal. */
  enabled: boolean
  now?: () => number
  /** No drawing before this much time has passed, nor more often than every `intervalMs`. */
  delayMs?: number
  intervalMs?: number
}

const CLEAR_LINE = '\r\x1b[2K'

export function progressBar(options: ProgressOptions): ProgressBar {
  if (!options.enabled || !options.stream.isTTY) return { update() {}, phase() {}, done() {} }
  const { stream, label } = options
  const now = options.now ?? Date.now
  const delayMs = options.delayMs ?? 300
  const intervalMs = options.intervalMs ?? 100
  const start = now()
  let lastDraw = -Infinity
  let drawn = false
  let state = { bytesRead: 0, totalBytes: 0, phase: undefined as string | undefined }
  const draw = (force: boolean): void => {
    const t = now()
    if (t - start < delayMs || (!force && t - lastDraw < intervalMs)) return
    lastDraw = t
    drawn = true
    stream.write(CLEAR_LINE + renderProgress({ label, ...state, elapsedMs: t - start, columns: stream.columns || 80 }))
  }
  return {
    update(bytesRead, totalBytes) {
      state = { ...state, bytesRead, totalBytes }
      draw(bytesRead >= totalBytes)
    },
    phase(text) {
      state = { ...state, phase: text }
      draw(true)
    },
    done() {
      if (drawn) stream.write(CLEAR_LINE)
      drawn = false
    },
  }
}
