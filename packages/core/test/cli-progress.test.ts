import { describe, expect, test } from 'vitest'
import { colorsFor } from '../src/cli/context.js'
import { progressBar, renderProgress, type ProgressState } from '../src/cli/progress.js'

const MB = 1024 ** 2
const state = (over: Partial<ProgressState> = {}): ProgressState => ({
  label: 'reading snapshots',
  bytesRead: 52 * MB,
  totalBytes: 200 * MB,
  elapsedMs: 2000,
  columns: 80,
  ...over,
})

describe('renderProgress', () => {
  test('bar, percent, bytes read of total and the read rate', () => {
    expect(renderProgress(state())).toBe(
      'reading snapshots  [██████░░░░░░░░░░░░░░░░░]   26%   52.0/200.0 MB    26.0 MB/s',
    )
    expect(renderProgress(state({ bytesRead: 200 * MB, phase: 'analysing' }))).toBe(
      'reading snapshots  [███████████████████████]  100%  200.0/200.0 MB  analysing…',
    )
    expect(renderProgress(state({ bytesRead: 0, elapsedMs: 0 }))).toBe(
      'reading snapshots  [░░░░░░░░░░░░░░░░░░░░░░░]    0%    0.0/200.0 MB     0.0 MB/s',
    )
  })

  test('keeps its width while the numbers change, and never exceeds the terminal', () => {
    const widths = [0, 1, 9.5, 99, 150, 200].map(
      (mb) => renderProgress(state({ bytesRead: mb * MB, elapsedMs: 10 })).length,
    )
    expect(new Set(widths).size).toBe(1)
    for (let columns = 0; columns <= 120; columns++)
      expect(renderProgress(state({ columns })).length).toBeLessThan(Math.max(1, columns))
    expect(renderProgress(state({ columns: 40 }))).toBe('reading snapshots   26%   52.0/200.0 MB')
  })

  test('an empty file is done at once', () => {
    expect(renderProgress(state({ bytesRead: 0, totalBytes: 0 }))).toContain('100%')
  })
})

describe('progressBar', () => {
  const fakeStream = (isTTY: boolean) => {
    const writes: string[] = []
    return { writes, stream: { isTTY, columns: 80, write: (text: string) => writes.push(text) } }
  }

  test('draws nothing when stderr is not a terminal, or when turned off (--json)', () => {
    for (const [isTTY, enabled] of [
      [false, true],
      [true, false],
    ] as const) {
      const { writes, stream } = fakeStream(isTTY)
      const bar = progressBar({ stream, label: 'reading', enabled, delayMs: 0 })
      bar.update(1, 2)
      bar.phase('analysing')
      bar.done()
      expect(writes).toEqual([])
    }
  })

  test('on a terminal: silent for a short read, then redrawn in place at most every interval, erased at the end', () => {
    let clock = 0
    const { writes, stream } = fakeStream(true)
    const bar = progressBar({
      stream,
      label: 'reading',
      enabled: true,
      now: () => clock,
      delayMs: 300,
      intervalMs: 100,
    })
    bar.update(10, 100)
    clock = 350
    bar.update(40, 100)
    clock = 400
    bar.update(50, 100) // within the interval: skipped
    clock = 460
    bar.update(100, 100)
    bar.phase('analysing')
    bar.done()
    expect(writes.map((w) => w.replace(/\[█*░*\]/, '[bar]'))).toEqual([
      '\r\x1b[2Kreading  [bar]   40%  0.0/0.0 MB     0.0 MB/s',
      '\r\x1b[2Kreading  [bar]  100%  0.0/0.0 MB     0.0 MB/s',
      '\r\x1b[2Kreading  [bar]  100%  0.0/0.0 MB  analysing…',
      '\r\x1b[2K',
    ])
  })

  test('a read that ends before the delay leaves the terminal untouched', () => {
    const { writes, stream } = fakeStream(true)
    const bar = progressBar({ stream, label: 'reading', enabled: true, now: () => 0 })
    bar.update(100, 100)
    bar.done()
    expect(writes).toEqual([])
  })
})

describe('colorsFor', () => {
  test('colours only a terminal, and not with NO_COLOR or TERM=dumb', () => {
    expect(colorsFor({ isTTY: true, write() {} }, {}).bold('x')).not.toBe('x')
    expect(colorsFor({ isTTY: false, write() {} }, { FORCE_COLOR: '1', CI: 'true' }).bold('x')).toBe('x')
    expect(colorsFor({ isTTY: true, write() {} }, { NO_COLOR: '1' }).bold('x')).toBe('x')
    expect(colorsFor({ isTTY: true, write() {} }, { TERM: 'dumb' }).bold('x')).toBe('x')
  })
})
