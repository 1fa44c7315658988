import { spawnSync } from 'node:child_process'
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import Ajv2020 from 'ajv/dist/2020.js'
import { describe, expect, test } from 'vitest'
import { byWorker, heapGrowthLines, markdownSummary, newReport, type HeapPoint } from '../src/index.js'
import { formatHeapSummary } from '../src/report/terminal.js'
import { workerDeathLines } from '../src/heap-timeline.js'
import { deathOf, fatalErrorOf, REPORT_CUT_SHORT, type WorkerDeath } from '../src/report/worker-deaths.js'

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

  test('the line names the first of its files whose environment stayed alive', () => {
    const grew = {
      worker: '11',
      files: [point('tests/a.test.ts', 1, 32), point('tests/m.test.ts', 2, 60), point('tests/z.test.ts', 3, 104)],
    }
    expect(
      heapGrowthLines([grew], 64 * MB, new Set(['tests/z.test.ts', 'tests/m.test.ts', 'tests/other.test.ts'])),
    ).toEqual([
      'worker 11: live heap 32 MB → 104 MB over 3 files (tests/a.test.ts → tests/z.test.ts); RSS 300 MB at the end; the first file that stayed alive: tests/m.test.ts',
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
      {
        worker: '12',
        files: [],
        died: { ...outOfMemory, snapshot: '/snapshots/tests-c.test.ts.near-heap-limit.heapsnapshot' },
      },
    ])
    expect(validate(JSON.parse(JSON.stringify(report))), JSON.stringify(validate.errors)).toBe(true)
  })
})

const outOfMemory: WorkerDeath = {
  file: 'tests/c.test.ts',
  reason: 'Allocation failed - JavaScript heap out of memory',
  heapUsed: 140 * MB,
  heapLimit: 144 * MB,
}

describe('a worker that died in a file', () => {
  test("Node's fatal-error report, from a real process that ran out of memory, gives the reason and the heap in use", () => {
    const dir = mkdtempSync(join(tmpdir(), 'leakproof-fatal-'))
    try {
      const script = `process.report.directory = ${JSON.stringify(dir)}; process.report.reportOnFatalError = true
        const kept = []; for (;;) kept.push(new Array(128 * 1024).fill(kept.length))`
      spawnSync(process.execPath, ['--max-old-space-size=32', '-e', script], { stdio: 'ignore' })
      const [name] = readdirSync(dir).filter((n) => n.startsWith('report.'))
      const fatal = fatalErrorOf(JSON.parse(readFileSync(join(dir, name!), 'utf8')))
      expect(fatal?.reason).toBe('Allocation failed - JavaScript heap out of memory')
      expect(fatal?.heapUsed).toBeGreaterThan(30 * MB)
    } finally {
      rmSync(dir, { recursive: true, force: true })
    }
  })

  test('a report asked for by code, or of a signal, is no fatal error; nor is something else', () => {
    expect(fatalErrorOf({ header: { event: 'JavaScript API', trigger: 'JavaScript API' } })).toBeUndefined()
    expect(fatalErrorOf({ header: { event: 'SIGUSR2', trigger: 'Signal' } })).toBeUndefined()
    expect(fatalErrorOf({})).toBeUndefined()
  })

  test('a note left at the end is a death only with a fatal error: a file whose import threw, or a run cut short, is not', () => {
    const note = { file: 'tests/c.test.ts', heapLimit: 144 * MB }
    expect(deathOf(note, undefined, undefined)).toBeUndefined()
    expect(deathOf(note, undefined, 'Jest worker ran out of memory and crashed')).toEqual({
      file: 'tests/c.test.ts',
      reason: 'Jest worker ran out of memory and crashed',
      heapLimit: 144 * MB,
    })
    expect(deathOf(note, { reason: REPORT_CUT_SHORT }, undefined)).toEqual({
      file: 'tests/c.test.ts',
      reason: REPORT_CUT_SHORT,
      heapLimit: 144 * MB,
    })
  })

  test("the death ends its worker's timeline; a worker that died in its first file has one of its own", () => {
    const workers = byWorker(
      [{ worker: '11', point: point('tests/a.test.ts', 1, 32) }],
      [
        { worker: '11', death: outOfMemory },
        { worker: '12', death: { ...outOfMemory, file: 'tests/d.test.ts' } },
      ],
    )
    expect(workers.map((w) => [w.worker, w.files.length, w.died?.file])).toEqual([
      ['11', 1, 'tests/c.test.ts'],
      ['12', 0, 'tests/d.test.ts'],
    ])
  })

  test('the terminal names the file, the heap against its limit, the timeline before it and the snapshot', () => {
    const report = newReport({ name: 'vitest', version: '4.1.12' }, [], undefined, [
      {
        worker: '11',
        files: [point('tests/a.test.ts', 1, 32), point('tests/b.test.ts', 2, 90)],
        died: { ...outOfMemory, snapshot: '/snapshots/tests-c.test.ts.near-heap-limit.heapsnapshot' },
      },
      { worker: '12', files: [], died: { file: 'tests/d.test.ts', reason: REPORT_CUT_SHORT, heapLimit: 144 * MB } },
    ])
    expect(formatHeapSummary(report, '/repo', false).split('\n')).toEqual([
      "leakproof: 2 workers died while running a test file (the framework's error may not name it)",
      '  worker 11 ran out of memory running tests/c.test.ts (heap 140 MB of a 144 MB limit)',
      '    before it, 2 files: live heap after GC 32 MB (tests/a.test.ts) → 90 MB (tests/b.test.ts), RSS 300 MB',
      '    heap snapshot near the heap limit: /snapshots/tests-c.test.ts.near-heap-limit.heapsnapshot',
      `  worker 12 died running tests/d.test.ts: ${REPORT_CUT_SHORT} (a 144 MB heap limit)`,
      '    it was the first file of this worker',
    ])
    expect(markdownSummary(report, '/repo')).toContain(
      '- **worker 11 ran out of memory running tests/c.test.ts (heap 140 MB of a 144 MB limit)**',
    )
    expect(
      workerDeathLines([{ worker: '13', files: [point('tests/a.test.ts', 1)], died: outOfMemory }])[0]!.details[0],
    ).toBe('before it, 1 file (no full GC ran in them)')
  })
})
