import { LeakproofConfigError } from './errors.js'

const UNITS: Record<string, number> = {
  b: 1,
  kb: 1024,
  mb: 1024 ** 2,
  gb: 1024 ** 3,
}

/** Largest budget we accept: more than any test process can hold, so a bigger one is a typo. */
export const MAX_SIZE = 64 * 1024 ** 3

/**
 * Parses a size written as `512 KB`, `2 MB`, `1.5GB` or a number of bytes.
 * Units are binary (1 KB = 1024 B), as in V8's and Node's own memory figures.
 * `option` names the setting in the error, so a typo points at the config line.
 */
export function parseSize(value: unknown, option: string): number {
  if (typeof value === 'number') {
    if (!Number.isFinite(value) || value < 0 || !Number.isInteger(value)) {
      throw new LeakproofConfigError(option, value, 'a whole number of bytes, 0 or more, or a string such as "512 KB"')
    }
    return checkMax(value, option, value)
  }
  if (typeof value !== 'string') {
    throw new LeakproofConfigError(option, value, 'a size such as "512 KB" or "2 MB", or a number of bytes')
  }
  const match = /^\s*(\d+(?:\.\d+)?)\s*([kmg]?b)?\s*$/i.exec(value)
  if (!match) {
    throw new LeakproofConfigError(
      option,
      value,
      'a size such as "512 KB" or "2 MB" (units: B, KB, MB, GB), or a number of bytes',
    )
  }
  const unit = UNITS[(match[2] ?? 'b').toLowerCase()]!
  return checkMax(Math.round(Number(match[1]) * unit), option, value)
}

function checkMax(bytes: number, option: string, original: unknown): number {
  if (bytes > MAX_SIZE) {
    throw new LeakproofConfigError(option, original, `a size of at most ${formatBytes(MAX_SIZE)}`)
  }
  return bytes
}

/** Formats bytes the way reports print them: `0 B`, `812 B`, `4.1 KB`, `1.4 MB`. */
export function formatBytes(bytes: number): string {
  const sign = bytes < 0 ? '-' : ''
  let n = Math.abs(bytes)
  if (n < 1024) return `${sign}${Math.round(n)} B`
  for (const unit of ['KB', 'MB', 'GB']) {
    n /= 1024
    if (n < 1024 || unit === 'GB') return `${sign}${n < 10 ? n.toFixed(1) : Math.round(n)} ${unit}`
  }
  return `${sign}${n} GB`
}
