import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import Ajv2020 from 'ajv/dist/2020.js'
import { describe, expect, test } from 'vitest'
import { byWorker, heapGrowthLines, markdownSummary, newReport, type HeapPoint } from '../src/index.js'

const MB = 1024 * 1024
const point = (file: string, at: number, liveMb?: number): HeapPoint => ({
  file,
  at,
  rss: 300 * MB,
  ...(liveMb !== undefined && { liveAfterGc: liveMb * MB }),
})

describe("a worker's heap over its test files", () => {
  test('points are grouped by worker and put in the order each worker ran its files', () => {
    const workers = byWorker([
      { worker: '11', point: point('tests/b.test.ts', 2.5, 40) },
      { worker: '12', point: point('tests/c.test.ts', 1, 30) },
      { worker: '11', point: point('tests/a.test.ts', 1.2, 32) },
    ])
    expect(workers.map((w) => [w.worker, w.files.map((f) => f.file)])).toEqual([
      ['11', ['tests/a.test.ts', 'tests/b.test.ts']],
      ['12', ['tests/c.test.ts']],
    ])
  })

  test('a worker whose live heap grew by more than the notice gets a line; one that warmed up does not', () => {
    const grew = {
      worker: '11',
      files: [point('tests/a.test.ts', 1, 32), point('tests/m.test.ts', 2), point('tests/z.test.ts', 3, 104)],
    }
    const warm = { worker: '12', files: [point('tests/b.test.ts', 1, 30), point('tests/y.test.ts', 2, 60)] }
    expect(heapGrowthLines([grew, warm])).toEqual([
      'worker 11: live heap 32 MB → 104 MB over 3 files (tests/a.test.ts → tests/z.test.ts); RSS 300 MB at the end',
    ])
  })

  test('files with no full GC while they ran are not compared', () => {
    expect(
      heapGrowthLines([{ worker: '11', files: [point('tests/a.test.ts', 1), point('tests/b.test.ts', 2)] }]),
    ).toEqual([])
  })

  test('the step summary charts each worker, carrying a figure over files that had no full GC', () => {
    const report = newReport({ name: 'jest', version: '30.5.2' }, [], undefined, [
      {
        worker: '11',
        files: [point('tests/a.test.ts', 1, 32), point('tests/b.test.ts', 2), point('tests/c.test.ts', 3, 50)],
      },
    ])
    const md = markdownSummary(report, '/repo')
    expect(md).toContain("Live heap after GC at each test file's end (MB), worker 11")
    expect(md).toContain('  line [32, 32, 50]')
  })

  test('the report with its heap validates against the JSON Schema', () => {
    const schema = JSON.parse(readFileSync(join(import.meta.dirname, '..', 'report-schema.json'), 'utf8'))
    const validate = new Ajv2020.default({ strict: false }).compile(schema)
    const report = newReport({ name: 'vitest', version: '4.1.12' }, [], undefined, [
      { worker: '11/2', files: [point('tests/a.test.ts', 1.25, 32), point('tests/b.test.ts', 2)] },
    ])
    expect(validate(JSON.parse(JSON.stringify(report))), JSON.stringify(validate.errors)).toBe(true)
  })
})
