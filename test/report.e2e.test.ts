import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import Ajv2020 from 'ajv/dist/2020.js'
import { describe, expect, test } from 'vitest'
import { failed, fixturesDir, repoRoot, runJest, runVitest, type FixtureRun } from './helpers/run-fixture.js'

/**
 * The run's report from both frameworks, as CI sees it: the JSON file (valid against the shipped
 * schema), the terminal table, and with GITHUB_ACTIONS=true the annotations and the step summary.
 */
const files = ['tests/handles.test.ts', 'tests/listeners.test.ts', 'tests/file-level.test.ts']
const frameworks = (process.env.LEAKPROOF_FRAMEWORKS ?? 'vitest,jest').split(',')
// Each with its own GitHub Actions reporter on: Vitest's built-in one, Jest's `github-actions`.
const RUNS: Record<string, (env: Record<string, string>) => FixtureRun> = {
  vitest: (env) => runVitest('corpus', { files, env, args: ['--reporter=github-actions'] }),
  jest: (env) =>
    runJest('corpus', {
      files,
      env,
      args: ['--reporters=default', '--reporters=github-actions', '--reporters=@leakproof/jest/reporter'],
    }),
}
const schema = JSON.parse(readFileSync(join(repoRoot, 'node_modules/@leakproof/core/report-schema.json'), 'utf8'))

describe.each(frameworks)('the run report under %s, on GitHub Actions', (framework) => {
  test('JSON report, terminal table, annotations and step summary', () => {
    const dir = mkdtempSync(join(tmpdir(), 'leakproof-gha-'))
    const summaryFile = join(dir, 'step-summary.md')
    const reportFile = join(fixturesDir, 'corpus', 'leakproof-report.json')
    rmSync(reportFile, { force: true })
    try {
      const run = RUNS[framework]!({ GITHUB_ACTIONS: 'true', GITHUB_STEP_SUMMARY: summaryFile })
      expect(failed(run)).toHaveLength(5)

      const report = JSON.parse(readFileSync(reportFile, 'utf8'))
      const validate = new Ajv2020.default({ strict: false }).compile(schema)
      expect(validate(report), JSON.stringify(validate.errors)).toBe(true)
      expect(report.framework.name).toBe(framework)
      // Each worker's heap at each of its files' ends: every file of the run, once.
      const timeline = report.heap as Array<{ worker: string; files: Array<{ file: string; rss: number }> }>
      expect(timeline.flatMap((w) => w.files.map((f) => f.file)).sort()).toEqual([...files].sort())
      for (const w of timeline) for (const f of w.files) expect(f.rss).toBeGreaterThan(0)
      const leaking = report.tests
        .filter((t: { verdict: string }) => t.verdict === 'leak')
        .map((t: { id: string }) => t.id)
        .sort()
      expect(leaking).toEqual([...failed(run), 'tests/file-level.test.ts'].sort())
      const interval = report.tests.find(
        (t: { id: string }) => t.id === 'tests/handles.test.ts > leaks: an interval that is never cleared',
      )
      expect(interval).toMatchObject({
        line: 3,
        verdict: 'leak',
        findings: [
          {
            kind: 'handle',
            type: 'Timeout',
            createdAt: { line: 4, column: 3 },
            stack: expect.stringContaining('handles.test.ts'),
          },
        ],
      })
      expect(
        report.tests.find(
          (t: { id: string }) => t.id === 'tests/handles.test.ts > clean: a timer cleared before the end',
        ),
      ).toMatchObject({ verdict: 'clean', findings: [] })

      expect(run.output).toMatch(/leakproof: 6 leaking tests in 3 files\n\s+test\s+kind\s+left\s+per run\s+cause/)
      // Jest's GitHub reporter annotates each failing test at its LeakError's frame: leakproof adds
      // where each leak was made, and no second annotation of the test. Vitest's annotates no
      // LeakError (it has no stack frame there, issue 14): leakproof annotates the test itself.
      const atTest =
        '::error file=tests/handles.test.ts,line=3,title=leakproof%3A leaks%3A an interval that is never cleared::left 1 handle open'
      if (framework === 'jest') {
        expect(run.output).toMatch(/^::error file=[^,]*handles\.test\.ts,.*::.*left 1 handle open/m)
        expect(run.output).not.toContain(atTest)
      } else {
        expect(run.output).toContain(atTest)
      }
      expect(run.output).toContain(
        '::error file=tests/handles.test.ts,line=4,col=3,title=leakproof%3A leaks%3A an interval that is never cleared (left here)::left 1 handle open',
      )
      expect(run.output.match(/\(left here\)::left 1 handle open/g)?.length).toBe(4)

      const summary = readFileSync(summaryFile, 'utf8')
      expect(summary).toContain('### leakproof: 6 leaking tests of')
      expect(summary).toContain(
        '| tests/handles.test.ts > leaks: an interval that is never cleared | handle | 1 handle |  | Timeout (setInterval 60 s) at tests/handles.test.ts:4:3 |',
      )
      expect(summary).toContain('```mermaid\npie title Leaking tests by kind')
    } finally {
      rmSync(dir, { recursive: true, force: true })
    }
  })
})
