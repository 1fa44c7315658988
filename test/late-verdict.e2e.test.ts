import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import { failed, runVitest, type FixtureRun } from './helpers/run-fixture.js'

/**
 * A test that waits for its verdict (a memory suspect first in its block, judged after the file's
 * last test) fails after later tests ran. Every Vitest reporter must show it once, failed: its
 * 'test-finished' event waits with it (packages/vitest/src/runtime/tasks.ts).
 */
const frameworks = (process.env.LEAKPROOF_FRAMEWORKS ?? 'vitest,jest').split(',')
const file = 'tests/order-dependent.test.ts'
const leak = 'leaks: signs in (and keeps 1 MB in an audit log on every run)'
const block = 'leaks: a session made by the first test'

describe.skipIf(!frameworks.includes('vitest'))(
  'a verdict given after later tests ran, in every Vitest reporter',
  () => {
    const dir = mkdtempSync(join(tmpdir(), 'leakproof-late-'))
    let run: FixtureRun
    beforeAll(() => {
      run = runVitest('corpus', {
        files: [file],
        args: [
          '--reporter=verbose',
          '--reporter=junit',
          `--outputFile.junit=${join(dir, 'junit.xml')}`,
          '--reporter=blob',
          `--outputFile.blob=${join(dir, 'blob', 'run.json')}`,
        ],
        env: { GITHUB_ACTIONS: 'true' },
      })
    })
    afterAll(() => rmSync(dir, { recursive: true, force: true }))

    test('json: the test failed with its LeakError; the tests after it passed', () => {
      expect(failed(run)).toEqual([`${file} > ${block} > ${leak}`])
      expect(run.tests.get(`${file} > ${block} > ${leak}`)?.message).toMatch(
        /^LeakError: retained [\d.]+ MB across 3 runs/,
      )
      expect(run.exitCode).toBe(1)
    })

    test('verbose (and default): the test is printed with a cross, never with a tick', () => {
      const lines = run.output.split('\n').filter((l) => l.includes(leak) && /^\s+[✓×]/.test(l))
      // One line from the verbose reporter, one in the default reporter's tree.
      expect(lines.length).toBeGreaterThan(0)
      expect(lines.filter((l) => /^\s+✓/.test(l))).toEqual([])
    })

    test('junit: a <failure> with the report', () => {
      const junit = readFileSync(join(dir, 'junit.xml'), 'utf8')
      const testcase = new RegExp(
        `<testcase[^>]*name="[^"]*${leak.replace(/[()]/g, '\\$&')}"[^>]*>([\\s\\S]*?)</testcase>`,
      ).exec(junit)
      expect(testcase?.[1]).toMatch(/<failure[\s\S]*LeakError: retained/)
    })

    // With GITHUB_ACTIONS set, leakproof's reporter annotates the test (Vitest's own github-actions
    // reporter does not annotate a LeakError: issue 14).
    test('GitHub Actions: an ::error annotation at the test', () => {
      expect(run.output).toMatch(/::error file=[^,]*order-dependent\.test\.ts,line=15[^\n]*leaks%3A signs in/)
    })

    test('blob, merged: the merged report fails the same test', () => {
      const blobs = readdirSync(join(dir, 'blob'))
      expect(blobs.length).toBeGreaterThan(0)
      const merged = runVitest('corpus', { args: ['--merge-reports', join(dir, 'blob'), '--reporter=json'] })
      expect(failed(merged)).toEqual([`${file} > ${block} > ${leak}`])
    })
  },
)
