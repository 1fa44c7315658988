import { readFileSync, rmSync } from 'node:fs'
import { join } from 'node:path'
import { beforeAll, describe, expect, test } from 'vitest'
import { failed, fixturesDir, named, runJest, runVitest, type FixtureRun } from './helpers/run-fixture.js'

/**
 * fixtures/dependency: a handle, a listener, a global and retained memory, each made inside a
 * dependency (node_modules/leaky-lib, checked in), under both frameworks. Each report names the
 * library's frame (file:line:column and function), the package and its installed version, the
 * user's line that called into it, and what to do; CI annotates the user's line, never the
 * library's; an ignore rule that names the package hides them.
 */
const frameworks = (process.env.LEAKPROOF_FRAMEWORKS ?? 'vitest,jest').split(',')
const file = 'tests/dependency.test.ts'
const lib = 'node_modules/leaky-lib/index.js'
const reportFile = join(fixturesDir, 'dependency', 'leakproof-report.json')

const LEAKS = {
  handle: {
    test: 'leaks: connects a client that starts an interval, never closed',
    made: `Timeout (setInterval 60 s) created at ${lib}:8:21 (connect)`,
    calledFrom: 10,
  },
  listener: {
    test: 'leaks: subscribes to a library emitter, never unsubscribes',
    made: `EventEmitter "change" added at ${lib}:16:11 (subscribe)`,
    calledFrom: 18,
  },
  global: {
    test: 'leaks: registers in a library global, never unregisters',
    made: `globalThis.__leakyLibRegistry (array) assigned at ${lib}:22:33 (register)`,
    calledFrom: 27,
  },
  // The sampling heap profiler records functions, not lines: the library's function that
  // allocated, and the user's function (here the test's body) that called it.
  retained: {
    test: 'leaks: a library memo that keeps 1 MB per call',
    made: `remember  ${lib}:30:37`,
    calledFrom: 35,
  },
} as const

for (const framework of ['vitest', 'jest'] as const) {
  describe.skipIf(!frameworks.includes(framework))(`fixtures/dependency under ${framework}`, () => {
    const run = (env: Record<string, string> = {}): FixtureRun =>
      framework === 'vitest' ? runVitest('dependency', { env }) : runJest('dependency', { env })
    let leaky: FixtureRun
    let report: { tests: Array<{ id: string; findings: Array<Record<string, unknown>> }> }
    beforeAll(() => {
      rmSync(reportFile, { force: true })
      leaky = run({ GITHUB_ACTIONS: 'true' })
      report = JSON.parse(readFileSync(reportFile, 'utf8'))
    })

    test('each leak fails its test; each twin that uses the library right passes', () => {
      expect(failed(leaky)).toEqual(named(leaky, 'leaks:'))
      expect(failed(leaky)).toHaveLength(4)
    })

    test.each(Object.entries(LEAKS))(
      '%s: the library frame, the package and version, the calling line, the advice',
      (kind, leak) => {
        const message = leaky.tests.get(`${file} > ${leak.test}`)?.message ?? ''
        expect(message).toMatch(/^LeakError: .* — made inside leaky-lib 1\.4\.2\n/)
        expect(message).toContain(leak.made)
        expect(message).toMatch(
          new RegExp(`\\n +inside dependency leaky-lib 1\\.4\\.2, called from ${file}:${leak.calledFrom}:\\d+\\n`),
        )
        expect(message).toContain(
          [
            '  made inside a dependency',
            '    leaky-lib 1.4.2: its code made it, called from yours.',
            '    Release what it made as the package documents (close, unsubscribe, unmount). If the package',
            '    leaks on its own, upgrade it, or name it in `ignore` with a reason:',
            "      { package: 'leaky-lib', reason: '…' }",
          ].join('\n'),
        )
        const finding = report.tests.find((t) => t.id === `${file} > ${leak.test}`)?.findings[0]
        const dependency =
          kind === 'retained' ? (finding?.sites as Array<{ dependency: unknown }>)[0]?.dependency : finding?.dependency
        expect(finding?.kind).toBe(kind)
        expect(dependency).toMatchObject({
          name: 'leaky-lib',
          version: '1.4.2',
          calledFrom: { file: expect.stringMatching(/tests\/dependency\.test\.ts$/), line: leak.calledFrom },
        })
      },
    )

    test("GitHub Actions: each leak annotated at the test and at the user's call, never in node_modules", () => {
      for (const leak of Object.values(LEAKS)) {
        const title = `leakproof%3A ${leak.test.replace(/:/g, '%3A').replace(/,/g, '%2C')}`
        expect(leaky.output).toMatch(new RegExp(`^::error file=${file},line=\\d+,title=${title}::`, 'm'))
        // The user's function that allocated through the library is the test's body: its line is the test's.
        if (leak === LEAKS.retained) continue
        expect(leaky.output).toMatch(
          new RegExp(`^::error file=${file},line=${leak.calledFrom},col=\\d+,title=${title} \\(left here\\)::`, 'm'),
        )
      }
      expect(leaky.output).not.toMatch(/^::error file=[^,]*node_modules/m)
    })

    test('an ignore rule that names the package hides all four, and the summary says why', () => {
      const ignoring = run({ IGNORE_LEAKY_LIB: '1' })
      expect(failed(ignoring)).toEqual([])
      expect(ignoring.output).toContain('leakproof: 4 findings ignored by your rules')
      const summary = ignoring.output.slice(ignoring.output.indexOf('leakproof: 4 findings ignored'))
      expect(summary).toContain('  leaky-lib leaks on every call until 2.0 (upstream #12): ')
      for (const what of ['left 1 handle open', 'left 1 listener registered', 'added global __leakyLibRegistry'])
        expect(summary).toContain(`${what} — made inside leaky-lib 1.4.2`)
    })
  })
}
