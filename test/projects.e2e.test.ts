import { spawn } from 'node:child_process'
import { rmSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, test } from 'vitest'
import { failed, fixturesDir, runVitest } from './helpers/run-fixture.js'

const frameworks = (process.env.LEAKPROOF_FRAMEWORKS ?? 'vitest,jest').split(',')

describe.skipIf(!frameworks.includes('vitest'))('Vitest projects and watch mode (fixtures/projects)', () => {
  test('projects with different environments in one run: each judged in its own, one summary', () => {
    const run = runVitest('projects')
    expect(run.exitCode).toBe(1)
    expect(failed(run)).toEqual([
      'tests/dom/resize.test.ts > leaks: a resize listener left on the window',
      'tests/node/timers.test.ts > leaks: an interval that is never cleared',
    ])
    expect(run.tests.get('tests/dom/resize.test.ts > leaks: a resize listener left on the window')?.message).toContain(
      'window "resize" added at tests/dom/resize.test.ts:10:10',
    )
    expect(run.tests.get('tests/node/timers.test.ts > leaks: an interval that is never cleared')?.message).toContain(
      'Timeout (setInterval 60 s) created at tests/node/timers.test.ts:8:3',
    )
    expect(run.output.match(/leakproof: \d+ leaking tests? in \d+ files?/g)).toEqual([
      'leakproof: 2 leaking tests in 2 files',
    ])
  })

  test('watch mode: a re-run after the leak is fixed reports nothing from the run before', async () => {
    const root = join(fixturesDir, 'projects')
    const file = join(root, 'tests/node/watched-edit.test.ts')
    const leaking =
      "import { test } from 'vitest'\n\ntest('leaks until fixed', () => {\n  setInterval(() => {}, 60_000)\n})\n"
    writeFileSync(file, leaking)
    const bin = process.env.LEAKPROOF_VITEST_BIN ?? join(root, '../../node_modules/vitest/vitest.mjs')
    const child = spawn(
      process.env.LEAKPROOF_NODE ?? process.execPath,
      [bin, 'watch', '--root', root, '--project', 'node', 'tests/node/watched-edit.test.ts'],
      {
        cwd: root,
        env: { ...process.env, NO_COLOR: '1', FORCE_COLOR: '0', CI: '' },
      },
    )
    let output = ''
    child.stdout.on('data', (d: Buffer) => (output += d.toString()))
    child.stderr.on('data', (d: Buffer) => (output += d.toString()))
    const waitFor = async (what: RegExp, from: number): Promise<void> => {
      for (let i = 0; i < 600 && !what.test(output.slice(from)); i++) await new Promise((r) => setTimeout(r, 100))
      expect(output.slice(from)).toMatch(what)
    }
    try {
      await waitFor(/(Waiting|Watching) for file changes/, 0)
      const first = output
      expect(first).toContain('leakproof: 1 leaking test in 1 file')
      writeFileSync(
        file,
        leaking.replace('setInterval(() => {}, 60_000)', 'clearInterval(setInterval(() => {}, 60_000))'),
      )
      await waitFor(/(Waiting|Watching) for file changes/, first.length)
      const second = output.slice(first.length)
      expect(second).toMatch(/Tests\s+1 passed/)
      expect(second).not.toContain('leaking test')
      expect(second).not.toContain('LeakError')
    } finally {
      child.kill()
      rmSync(file, { force: true })
    }
  }, 120_000)
})
