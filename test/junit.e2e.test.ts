import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, expect, test } from 'vitest'
import { failed, runJest, runVitest } from './helpers/run-fixture.js'

/** The LeakError's report is what CI's JUnit readers get: `vitest --reporter=junit` and `jest-junit`. */
const frameworks = (process.env.LEAKPROOF_FRAMEWORKS ?? 'vitest,jest').split(',')
const files = ['tests/handles.test.ts']

describe.each(frameworks)('JUnit output under %s', (framework) => {
  test("a leaking test's <failure> carries the LeakError's report", () => {
    const dir = mkdtempSync(join(tmpdir(), 'leakproof-junit-'))
    const xml = join(dir, 'junit.xml')
    try {
      const run =
        framework === 'vitest'
          ? runVitest('corpus', { files, args: ['--reporter=junit', `--outputFile.junit=${xml}`] })
          : runJest('corpus', {
              files,
              args: ['--reporters=default', '--reporters=jest-junit'],
              env: { JEST_JUNIT_OUTPUT_FILE: xml },
            })
      expect(failed(run)).toHaveLength(3)
      const junit = readFileSync(xml, 'utf8')
      const testcase =
        /<testcase[^>]*name="[^"]*leaks: an interval that is never cleared"[^>]*>([\s\S]*?)<\/testcase>/.exec(junit)
      expect(testcase, junit).not.toBeNull()
      expect(testcase![1]).toMatch(
        /<failure[\s\S]*LeakError: left 1 handle open[\s\S]*Timeout \(setInterval 60 s\) created at tests\/handles\.test\.ts:4:3/,
      )
    } finally {
      rmSync(dir, { recursive: true, force: true })
    }
  })
})
