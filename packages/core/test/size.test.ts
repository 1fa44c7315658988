import { describe, expect, test } from 'vitest'
import { formatBytes, LeakproofConfigError, parseSize } from '../src/index.js'

describe('parseSize', () => {
  test.each([
    ['0', 0],
    ['512 KB', 512 * 1024],
    ['2 MB', 2 * 1024 ** 2],
    ['1.5GB', 1.5 * 1024 ** 3],
    ['100 b', 100],
    [4096, 4096],
  ])('%s is %d bytes', (input, bytes) => {
    expect(parseSize(input, 'budget')).toBe(bytes)
  })

  test.each(['2 MBs', '-1', 'lots', '', '1 TB'])('%j is refused, naming the option and the value', (input) => {
    expect(() => parseSize(input, 'budgets[0].budget')).toThrow(LeakproofConfigError)
    expect(() => parseSize(input, 'budgets[0].budget')).toThrow(
      `option "budgets[0].budget" is ${JSON.stringify(input)}`,
    )
  })

  test.each([-1, 1.5, Number.NaN, Number.POSITIVE_INFINITY])('the number %d is refused', (input) => {
    expect(() => parseSize(input, 'budget')).toThrow(/option "budget" is .*; expected a whole number of bytes/)
  })

  test('an absurdly large budget is refused', () => {
    expect(() => parseSize('9000 GB', 'budget')).toThrow('expected a size of at most 64 GB')
  })
})

describe('formatBytes', () => {
  test.each([
    [0, '0 B'],
    [812, '812 B'],
    [4198, '4.1 KB'],
    [1.4 * 1024 ** 2, '1.4 MB'],
    [300 * 1024 ** 2, '300 MB'],
    [-2048, '-2.0 KB'],
  ])('%d bytes print as %s', (bytes, text) => {
    expect(formatBytes(bytes)).toBe(text)
  })
})
