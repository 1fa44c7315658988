import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import Ajv2020 from 'ajv/dist/2020.js'
import { describe, expect, test } from 'vitest'
import { fixturesDir, repoRoot, runJest, runVitest, type FixtureRun } from './helpers/run-fixture.js'

/**
 * fixtures/out-of-memory: three clean files, then one that fills a cache until its worker's heap
 * (96 MB of old space here) is full. The run fails as the framework fails it, the clean files' results
 * are kept, and leakproof's report names the worker, the file it was running, its heap timeline until
 * then and, with keepSnapshots, the heap snapshot V8 wrote near the heap limit. Worker processes only:
 * a worker thread that runs out of memory is ended by Node, with no fatal error to report.
 */
const frameworks = (process.env.LEAKPROOF_FRAMEWORKS ?? 'vitest,jest').split(',')
const RUNS: Record<string, Record<string, (env: Record<string, string>) => FixtureRun>> = {
  vitest: {
    // vmForks runs the clean files in the same worker first: the timeline before the death has them.
    'vmForks pool, one worker': (env) =>
      runVitest('out-of-memory', { env, args: ['--pool=vmForks', '--maxWorkers=1'] }),
    'forks pool': (env) => runVitest('out-of-memory', { env, args: ['--pool=forks'] }),
  },
  jest: {
    'two workers': (env) => runJest('out-of-memory', { env, args: ['-w', '2'] }),
  },
}
const schema = JSON.parse(readFileSync(join(repoRoot, 'node_modules/@leakproof/core/report-schema.json'), 'utf8'))
const reportFile = join(fixturesDir, 'out-of-memory', 'leakproof-report.json')

interface Died {
  file: string
  reason: string
  heapLimit: number
  heapUsed?: number
  snapshot?: string
}

describe.each(frameworks)('a worker that runs out of memory, under %s', (framework) => {
  test.each(Object.keys(RUNS[framework]!))(
    '%s: the file it ran, its heap until then, a snapshot near the limit',
    (mode) => {
      const snapshots = mkdtempSync(join(tmpdir(), 'leakproof-oom-'))
      rmSync(reportFile, { force: true })
      try {
        const run = RUNS[framework]![mode]!({
          NODE_OPTIONS: '--max-old-space-size=96',
          LEAKPROOF_KEEP_SNAPSHOTS: snapshots,
        })
        expect(run.exitCode).not.toBe(0)
        for (const n of [1, 2, 3])
          expect(run.tests.get(`tests/a-clean-${n}.test.ts > builds and drops a table`)?.status).toBe('passed')

        const report = JSON.parse(readFileSync(reportFile, 'utf8'))
        const validate = new Ajv2020.default({ strict: false }).compile(schema)
        expect(validate(report), JSON.stringify(validate.errors)).toBe(true)
        const dead = (report.heap as Array<{ worker: string; files: Array<{ file: string }>; died?: Died }>).filter(
          (w) => w.died,
        )
        expect(dead).toHaveLength(1)
        const { worker, files, died } = dead[0]!
        expect(died!.file).toBe('tests/b-runs-out.test.ts')
        // Node's own words; or, as Jest ends a worker as soon as V8's out-of-memory output reaches its
        // stderr, the fact that Node had begun its fatal-error report, or Jest's own words (Jest 29 ends
        // the worker with a SIGTERM of its own and then blames "another process").
        expect(died!.reason).toMatch(
          /^Allocation failed - JavaScript heap out of memory$|^a fatal error \(the process was ended|^Jest worker ran out of memory and crashed$|^A jest worker process \(pid=\d+\) was terminated by another process: signal=SIGTERM/,
        )
        // 96 MB of old space and the young generation (Node 20: 144 MB in all; Node 24: 288 MB).
        expect(died!.heapLimit).toBeGreaterThan(96 * 1024 * 1024)
        expect(died!.heapLimit).toBeLessThan(400 * 1024 * 1024)
        // The snapshot V8 wrote near the limit, moved to the kept ones and named after the file.
        expect(died!.snapshot).toBe(join(snapshots, 'tests-b-runs-out.test.ts.near-heap-limit.heapsnapshot'))
        expect(statSync(died!.snapshot!).size).toBeGreaterThan(1024 * 1024)
        expect(readdirHeap(join(fixturesDir, 'out-of-memory'))).toEqual([])
        if (mode.startsWith('vmForks'))
          expect(files.map((f) => f.file)).toEqual([
            'tests/a-clean-1.test.ts',
            'tests/a-clean-2.test.ts',
            'tests/a-clean-3.test.ts',
          ])

        // The terminal says it in words, with the file Vitest's own error does not name.
        expect(run.output).toContain('leakproof: a worker died while running a test file')
        expect(run.output).toMatch(
          new RegExp(`worker ${worker} (ran out of memory running|died running) tests/b-runs-out\\.test\\.ts`),
        )
        expect(run.output).toContain(`heap snapshot near the heap limit: ${died!.snapshot}`)
      } finally {
        rmSync(snapshots, { recursive: true, force: true })
      }
    },
  )
})

/** V8's own snapshots in the project's folder: none may be left there. */
function readdirHeap(dir: string): string[] {
  return readdirSync(dir).filter((n) => n.endsWith('.heapsnapshot'))
}
