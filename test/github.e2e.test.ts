import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import { fixturesDir, runJest, runVitest, type FixtureRun } from './helpers/run-fixture.js'

/**
 * fixtures/corpus as a GitHub Actions job runs it: GITHUB_ACTIONS=true, a step summary file, and no
 * reporter asked for (Vitest then adds its github-actions reporter by itself; Jest runs the
 * config's). Every leaking test gets an `::error` at a line of a file in the repository, whatever
 * its kind (a global and retained memory have no creation line of their own there, and Vitest's
 * reporter annotates no LeakError); a test that fails on its own keeps Vitest's annotation.
 */
const frameworks = (process.env.LEAKPROOF_FRAMEWORKS ?? 'vitest,jest').split(',')
const reportFile = join(fixturesDir, 'corpus', 'leakproof-report.json')
const ownFailure = 'fails on its own: leaks an interval, then an assertion fails'

interface Annotation {
  file: string
  line?: string
  title?: string
}

/** The `::error` workflow commands a run printed, with their properties unescaped. */
function errorAnnotations(output: string): Annotation[] {
  const unescape = (v: string): string => v.replace(/%2C/g, ',').replace(/%3A/g, ':').replace(/%25/g, '%')
  return [...output.matchAll(/^::error (.*?)::/gm)].map((m) => {
    const props = Object.fromEntries(m[1]!.split(',').map((p) => p.split('=', 2).map(unescape) as [string, string]))
    return props as unknown as Annotation
  })
}

/** A file of the repository: the fixture's own (relative, or under its root), never a dependency's. */
const inRepository = (a: Annotation): boolean =>
  a.line !== undefined && !a.file.includes('node_modules') && (a.file.startsWith('<root>/') || !a.file.startsWith('/'))

for (const framework of ['vitest', 'jest'] as const) {
  describe.skipIf(!frameworks.includes(framework))(`fixtures/corpus on GitHub Actions, under ${framework}`, () => {
    const dir = mkdtempSync(join(tmpdir(), 'leakproof-github-'))
    const summaryFile = join(dir, 'step-summary.md')
    let run: FixtureRun
    let leaking: Array<{ fullName: string; file: string; line?: number }>
    beforeAll(() => {
      rmSync(reportFile, { force: true })
      const env = { GITHUB_ACTIONS: 'true', GITHUB_STEP_SUMMARY: summaryFile }
      run = framework === 'vitest' ? runVitest('corpus', { env, ownReporters: true }) : runJest('corpus', { env })
      const report = JSON.parse(readFileSync(reportFile, 'utf8')) as {
        tests: Array<{ fullName: string; file: string; line?: number; verdict: string }>
      }
      leaking = report.tests.filter((t) => t.verdict === 'leak' && t.fullName !== '')
    })
    afterAll(() => rmSync(dir, { recursive: true, force: true }))

    test('every leaking test has an ::error at a line of a repository file', () => {
      expect(run.exitCode, run.output).toBe(1)
      expect(leaking.length).toBeGreaterThanOrEqual(15)
      const annotations = errorAnnotations(run.output)
      const leakproof = annotations.filter((a) => inRepository(a) && a.title?.startsWith('leakproof: '))
      expect(leakproof.length).toBeGreaterThanOrEqual(leaking.length)
      for (const t of leaking) {
        const own = leakproof.filter(
          (a) => a.title === `leakproof: ${t.fullName}` || a.title === `leakproof: ${t.fullName} (left here)`,
        )
        expect(own.length, `${t.file} > ${t.fullName}`).toBeGreaterThan(0)
        // At least the test's own line, when nothing better exists.
        expect(
          own.some((a) => a.file === t.file && a.line === String(t.line)),
          t.fullName,
        ).toBe(true)
      }
    })

    test.skipIf(framework !== 'vitest')('a test that fails on its own keeps the annotation Vitest gives it', () => {
      // Vitest's title is the test's full name, after its file's.
      const vitest = errorAnnotations(run.output).filter(
        (a) => a.title?.endsWith(ownFailure) && !a.title.startsWith('leakproof'),
      )
      expect(vitest).toEqual([
        expect.objectContaining({ file: '<root>/tests/own-failure.test.ts', line: expect.stringMatching(/^\d+$/) }),
      ])
      expect(errorAnnotations(run.output).filter((a) => a.title === `leakproof: ${ownFailure}`)).toEqual([])
    })

    test('the step summary lists every leaking test', () => {
      const summary = readFileSync(summaryFile, 'utf8')
      expect(summary).toMatch(/### leakproof: \d+ leaking tests of \d+ checked/)
      for (const t of leaking) expect(summary).toContain(`| ${t.file} > ${t.fullName.replace(/\|/g, '\\|')} |`)
    })
  })
}
