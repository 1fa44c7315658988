import { spawnSync } from 'node:child_process'
import { existsSync, rmSync } from 'node:fs'
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
const RUNS: Record<string, () => FixtureRun> = { vitest: () => runVitest('keep-snapshots'), jest: () => runJest('keep-snapshots') }

describe.each(frameworks)('retained by, with snapshots kept, under %s', (framework) => {
  test('the failure names the module, the variable, the Map and the objects it keeps, and the snapshot files', () => {
    rmSync(kept, { recursive: true, force: true })
    const run = RUNS[framework]!()
    expect(failed(run)).toEqual(['tests/sessions.test.js > leaks: sessions registered and never removed'])
    const message = run.tests.get(failed(run)[0]!)!.message
    expect(message).toMatch(/retained by \(shortest path from a GC root\)\n\s+module tests\/sessions\.test\.js\n\s+→ sessions  Map \([\d,]+ entries\)\n\s+→ value  Object \{user, roles\}  ×5,000  [\d.]+ KB/)
    expect(message).toMatch(/new objects \(alive only in the second snapshot\)[\s\S]*×5,000 .* Object \{user, roles\}/)
    expect(message).toContain(`heap snapshots (Chrome DevTools, memlab)\n    heap-snapshots/${name}.before.heapsnapshot\n    heap-snapshots/${name}.after.heapsnapshot`)
    for (const side of ['before', 'after']) expect(existsSync(join(kept, `${name}.${side}.heapsnapshot`))).toBe(true)

    // The command line reads the kept files back to the same explanation.
    const cli = join(repoRoot, 'node_modules/@leakproof/core/dist/esm/cli/main.js')
    const diff = spawnSync(process.execPath, [cli, 'diff', join(kept, `${name}.before.heapsnapshot`), join(kept, `${name}.after.heapsnapshot`), '--root', root], { encoding: 'utf8' })
    expect(diff.status, diff.stderr).toBe(0)
    expect(diff.stdout).toMatch(/module tests\/sessions\.test\.js\n\s+→ sessions  Map \([\d,]+ entries\)\n\s+→ value  Object \{user, roles\}/)
  })
})
