import { spawnSync } from 'node:child_process'
import { rmSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, test } from 'vitest'
import { failed, fixturesDir, repoRoot, runJest, runVitest, type FixtureRun } from './helpers/run-fixture.js'

/**
 * Adopting leakproof on a suite that already leaks: record today's leaks, then only new ones fail,
 * and fixed ones are reported so the baseline can shrink — in both frameworks.
 */
const root = join(fixturesDir, 'baseline')
const baselineFile = join(root, 'leakproof.baseline.json')
const frameworks = (process.env.LEAKPROOF_FRAMEWORKS ?? 'vitest,jest').split(',')
const RUNS: Record<string, (env?: Record<string, string>) => FixtureRun> = {
  vitest: (env) => runVitest('baseline', { env }),
  jest: (env) => runJest('baseline', { env }),
}
const test1 = 'tests/known.test.js > leaks: an interval, until FIX_INTERVAL is set'
const test2 = 'tests/known.test.js > leaks: a process listener'
const test3 = 'tests/known.test.js > leaks: a new global once NEW_LEAK is set'

function leakproofCli(...args: string[]): { status: number | null; out: string } {
  const cli = join(repoRoot, 'node_modules/@leakproof/core/dist/esm/cli/main.js')
  const r = spawnSync(process.execPath, [cli, ...args], { cwd: root, encoding: 'utf8' })
  return { status: r.status, out: r.stdout + r.stderr }
}

describe.each(frameworks)('a baseline round trip under %s', (framework) => {
  test('record → no failures → a new leak fails alone → a fixed one is reported', () => {
    rmSync(baselineFile, { force: true })
    try {
      const first = RUNS[framework]!()
      expect(failed(first)).toEqual([test2, test1])

      const recorded = leakproofCli('baseline', 'leakproof-report.json')
      expect(recorded.status, recorded.out).toBe(0)
      expect(recorded.out).toContain(`2 known leaks written to ${baselineFile}`)

      const known = RUNS[framework]!()
      expect(known.exitCode, known.output).toBe(0)
      expect(failed(known)).toEqual([])
      expect(known.output).toContain('leakproof: 2 known leaks in leakproof.baseline.json passed')

      const added = RUNS[framework]!({ NEW_LEAK: '1' })
      expect(added.exitCode).toBe(1)
      expect(failed(added)).toEqual([test3])

      const fixed = RUNS[framework]!({ FIX_INTERVAL: '1' })
      expect(fixed.exitCode, fixed.output).toBe(0)
      expect(fixed.output).toContain('leakproof: 1 known leak in leakproof.baseline.json passed')
      expect(fixed.output).toMatch(
        new RegExp(`fixed since the baseline \\(1\\).*\\n\\s+${test1.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}`),
      )
    } finally {
      rmSync(baselineFile, { force: true })
    }
  })

  test('a corrupt or hand-edited baseline stops the run with the file named', () => {
    try {
      writeFileSync(baselineFile, '{ "schemaVersion": 1, "leaks": [ { "id": 3 } ] }')
      const run = RUNS[framework]!()
      expect(run.exitCode).toBe(1)
      expect(run.output).toContain(
        'leakproof: option "baseline" is "<root>/leakproof.baseline.json"; expected leaks[0] to be { id, kinds, perRun?, count? } with known kinds; it is {"id":3}.',
      )
      expect(run.output).not.toMatch(/at \S*packages[\\/]core/)
    } finally {
      rmSync(baselineFile, { force: true })
    }
  })
})
