import { spawnSync } from 'node:child_process'
import { existsSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, expect, test } from 'vitest'
import { failed, fixturesDir, repoRoot, runJest, runVitest, type FixtureRun } from './helpers/run-fixture.js'

/**
 * A confirmed leak explained from heap snapshots, in both frameworks, with the snapshots kept
 * (`keepSnapshots`): the failure says what holds the leak and names the files, which the
 * `leakproof diff` command reads back.
 */
const root = join(fixturesDir, 'keep-snapshots')
const kept = join(root, 'heap-snapshots')
const name = 'tests-sessions.test.js-leaks-sessions-registered-and-never-removed'
const frameworks = (process.env.LEAKPROOF_FRAMEWORKS ?? 'vitest,jest').split(',')
const annotationsFile = join(tmpdir(), `leakproof-annotations-${process.pid}.json`)
const RUNS: Record<string, () => FixtureRun> = {
  // Vitest's own channel too: a reporter that records the tests' annotations.
  vitest: () =>
    runVitest('keep-snapshots', {
      args: [`--reporter=${join(repoRoot, 'test/helpers/annotations-reporter.mjs')}`],
      env: { ANNOTATIONS_OUT: annotationsFile },
    }),
  jest: () => runJest('keep-snapshots'),
}

describe.each(frameworks)('retained by, with snapshots kept, under %s', (framework) => {
  test('the failure names the module, the variable, the Map and the objects it keeps, and the snapshot files', () => {
    rmSync(kept, { recursive: true, force: true })
    const run = RUNS[framework]!()
    expect(failed(run)).toEqual(['tests/sessions.test.js > leaks: sessions registered and never removed'])
    const message = run.tests.get(failed(run)[0]!)!.message
    // 5,000 sessions per run; Node 24 in a Vitest 5 worker counts a few fewer as new (8 seen), as in
    // corpus.e2e's retained test.
    expect(message).toMatch(
      /retained by \(shortest path from a GC root\)\n\s+module tests\/sessions\.test\.js\n\s+→ sessions  Map \([\d,]+ entries\)\n\s+→ value  Object \{user, roles\}  ×(5,000|4,9\d\d)  [\d.]+ KB/,
    )
    expect(message).toMatch(
      /new objects \(alive only in the second snapshot\)[\s\S]*×(5,000|4,9\d\d) .* Object \{user, roles\}/,
    )
    expect(message).toContain(
      `heap snapshots (Chrome DevTools, memlab)\n    heap-snapshots/${name}.before.heapsnapshot\n    heap-snapshots/${name}.after.heapsnapshot`,
    )
    for (const side of ['before', 'after']) expect(existsSync(join(kept, `${name}.${side}.heapsnapshot`))).toBe(true)

    if (framework === 'vitest') {
      // Findings and kept snapshots travel as the test's annotations (Vitest's UI, HTML and GitHub
      // Actions reporters show them), the snapshots as attachments Vitest copies into its folder.
      const annotations = JSON.parse(readFileSync(annotationsFile, 'utf8')) as Array<{
        type: string
        message: string
        attachment?: { path: string }
      }>
      expect(annotations.find((a) => a.type === 'leakproof: leak')?.message).toMatch(
        /^retained [\d.]+ MB across 3 runs \(\+[\d.]+ MB per run, budget 0 B\)$/,
      )
      const attached = annotations.filter((a) => a.type === 'leakproof: heap snapshot')
      expect(attached.map((a) => a.message)).toEqual([
        `heap snapshot: ${join(kept, `${name}.before.heapsnapshot`)}`,
        `heap snapshot: ${join(kept, `${name}.after.heapsnapshot`)}`,
      ])
      for (const a of attached) expect(existsSync(a.attachment!.path)).toBe(true)
    }

    // The command line reads the kept files back to the same explanation.
    const cli = join(repoRoot, 'node_modules/@leakproof/core/dist/esm/cli/main.js')
    const diff = spawnSync(
      process.execPath,
      [
        cli,
        'diff',
        join(kept, `${name}.before.heapsnapshot`),
        join(kept, `${name}.after.heapsnapshot`),
        '--root',
        root,
      ],
      { encoding: 'utf8' },
    )
    expect(diff.status, diff.stderr).toBe(0)
    expect(diff.stdout).toMatch(
      /module tests\/sessions\.test\.js\n\s+→ sessions  Map \([\d,]+ entries\)\n\s+→ value  Object \{user, roles\}/,
    )
  })
})

describe.each(frameworks)('a snapshot that cannot be taken, under %s', (framework) => {
  test('the leak is still reported, without its "retained by" section, with the reason', () => {
    // A folder that cannot be made: where no room on disk would stop the snapshot, the same way.
    const env = { LEAKPROOF_SNAPSHOT_DIR: '/dev/null/heap-snapshots' }
    const run = framework === 'vitest' ? runVitest('keep-snapshots', { env }) : runJest('keep-snapshots', { env })
    expect(failed(run)).toEqual(['tests/sessions.test.js > leaks: sessions registered and never removed'])
    const message = run.tests.get(failed(run)[0]!)!.message
    expect(message).toMatch(/^LeakError: retained [\d.]+ MB across 3 runs/)
    expect(message).toMatch(
      /retained by\n\s+not available: the heap snapshot could not be taken or read: ENOTDIR: not a directory, mkdir '\/dev\/null\/heap-snapshots'/,
    )
  })
})
