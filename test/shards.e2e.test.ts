import { spawnSync } from 'node:child_process'
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import { failed, fixturesDir, runJest, runVitest, type FixtureRun } from './helpers/run-fixture.js'

/**
 * A suite that outgrows one machine: `fixtures/shards` (7 files, 13 tests, 6 leaks of every kind;
 * `explain: false`, so no heap snapshots) run whole, then in three shards. Each shard writes its own
 * report; merged — by `leakproof report`, and for Vitest also by its own `--merge-reports` run,
 * where the plugin's reporter sees the blob's tasks — they equal the whole run's, test for test.
 */
const frameworks = (process.env.LEAKPROOF_FRAMEWORKS ?? 'vitest,jest').split(',')
const root = join(fixturesDir, 'shards')
const SHARDS = [1, 2, 3]
const shardFiles = SHARDS.map((i) => `leakproof-report.shard-${i}-of-3.json`)

interface Report {
  schemaVersion: number
  framework: { name: string; version: string }
  shard?: { index: number; count: number }
  tests: Array<{
    id: string
    file: string
    fullName: string
    line?: number
    verdict: string
    findings: Finding[]
    notes: string[]
  }>
}
type Finding = Record<string, unknown> & { kind: string; severity: string }

const readReport = (file: string): Report => JSON.parse(readFileSync(join(root, file), 'utf8')) as Report

/**
 * A report as the comparison sees it: per test id, its verdict, line and findings by kind and what
 * they name — without byte sizes, which differ from run to run.
 */
function essence(report: Report): Record<string, unknown> {
  const finding = (f: Finding): string => {
    const at = (f.createdAt ?? f.addedAt ?? f.watchedAt) as { line: number; column: number } | undefined
    const what =
      f.kind === 'retained'
        ? `confirmed ${f.confirmed}`
        : f.kind === 'handle'
          ? f.description
          : f.kind === 'listener'
            ? `${f.target} "${f.event}" ×${f.count}`
            : f.kind === 'global'
              ? f.name
              : f.label
    return `${f.severity} ${f.kind}: ${what}${at ? ` at ${at.line}:${at.column}` : ''}`
  }
  return Object.fromEntries(
    report.tests.map((t) => [t.id, { verdict: t.verdict, line: t.line, findings: t.findings.map(finding) }]),
  )
}

/** `leakproof …`: the bin of the @leakproof/core installed beside the fixtures (the workspace's, or the packed one). */
function leakproof(...args: string[]): { code: number | null; stdout: string; stderr: string } {
  const core = join(fixturesDir, '..', 'node_modules', '@leakproof', 'core')
  const bin = (JSON.parse(readFileSync(join(core, 'package.json'), 'utf8')) as { bin: { leakproof: string } }).bin
    .leakproof
  const result = spawnSync(process.env.LEAKPROOF_NODE ?? process.execPath, [join(core, bin), ...args], {
    cwd: root,
    encoding: 'utf8',
    env: { ...process.env, NO_COLOR: '1' },
  })
  return { code: result.status, stdout: result.stdout, stderr: result.stderr }
}

function clearReports(): void {
  for (const f of readdirSync(root))
    if (/^leakproof-report.*\.json$/.test(f) || f === 'merged.json') rmSync(join(root, f))
}

describe.each(frameworks)('three shards of fixtures/shards under %s', (framework) => {
  const run = (options: { args?: string[] } = {}): FixtureRun =>
    framework === 'vitest' ? runVitest('shards', options) : runJest('shards', options)
  let whole: Report
  let wholeRun: FixtureRun
  let shardRuns: FixtureRun[]
  let blobs: string

  beforeAll(() => {
    blobs = mkdtempSync(join(tmpdir(), 'leakproof-blobs-'))
    clearReports()
    wholeRun = run()
    whole = readReport('leakproof-report.json')
    clearReports()
    // Vitest: each shard also writes a blob for the merge run, as a CI matrix would upload it.
    shardRuns = SHARDS.map((i) =>
      run({
        args: [
          `--shard=${i}/3`,
          ...(framework === 'vitest'
            ? ['--reporter=blob', `--outputFile.blob=${join(blobs, `blob-${i}-3.json`)}`]
            : []),
        ],
      }),
    )
  })
  afterAll(() => {
    clearReports()
    rmSync(blobs, { recursive: true, force: true })
  })

  test('the whole run: six leaks of every kind, and clean twins', () => {
    expect(
      whole.tests
        .filter((t) => t.verdict === 'leak')
        .map((t) => t.id)
        .sort(),
    ).toEqual([...failed(wholeRun), 'tests/file-level.test.ts'].sort())
    expect(new Set(whole.tests.flatMap((t) => t.findings.map((f) => f.kind)))).toEqual(
      new Set(['retained', 'handle', 'listener', 'global', 'watched']),
    )
    expect(whole.tests.filter((t) => t.verdict === 'clean')).toHaveLength(8)
    // What the comparisons below compare is there: lines, and where each leak was made.
    expect(essence(whole)['tests/handles.test.ts > leaks: an interval that is never cleared']).toEqual({
      verdict: 'leak',
      line: 1,
      findings: ['error handle: Timeout (setInterval 60 s) at 2:3'],
    })
    expect(essence(whole)['tests/retained.test.ts > leaks: Buffers kept in a module array']).toEqual({
      verdict: 'leak',
      line: 3,
      findings: ['error retained: confirmed true'],
    })
  })

  test('each shard writes its own report, none the unsharded file', () => {
    expect(
      readdirSync(root)
        .filter((f) => f.startsWith('leakproof-report'))
        .sort(),
    ).toEqual(shardFiles)
    const reports = shardFiles.map(readReport)
    expect(reports.map((r) => r.shard)).toEqual(SHARDS.map((index) => ({ index, count: 3 })))
    // Split by file: every shard has some, none has another's.
    for (const r of reports) expect(r.tests.length).toBeGreaterThan(0)
    expect(reports.flatMap((r) => r.tests.map((t) => t.id)).sort()).toEqual(whole.tests.map((t) => t.id).sort())
    expect(shardRuns.flatMap(failed).sort()).toEqual(failed(wholeRun))
  })

  test("leakproof report merges the three into the whole run's report: one table, one JSON", () => {
    const merge = leakproof('report', ...shardFiles, '--json', 'merged.json')
    expect(merge.stderr).toBe('leakproof report: wrote merged.json (13 tests from 3 reports)\n')
    expect(merge.code).toBe(0)
    const merged = readReport('merged.json')
    expect(merged.shard).toBeUndefined()
    expect(merged.framework).toEqual(whole.framework)
    expect(essence(merged)).toEqual(essence(whole))
    expect(merge.stdout).toMatch(/^leakproof: 6 leaking tests in 6 files\n/)
    expect(merge.stdout).toMatch(
      new RegExp(
        `\\n  13 tests checked by ${framework} [^ ]+ on Node v[\\d.]+; merged from 3 reports, the last made .* UTC\\n$`,
      ),
    )
    // The table lists the same tests in the same order as the whole run's own.
    const rows = (text: string): string[] =>
      text
        .split('\n')
        .filter((l) => /^ {2}tests\//.test(l))
        .map((l) => l.trim().split(/\s{2,}/)[0]!)
    expect(rows(merge.stdout)).toEqual(
      rows(wholeRun.output.slice(wholeRun.output.lastIndexOf('leakproof: 6 leaking tests'))),
    )
    expect(rows(merge.stdout)).toHaveLength(6)
  })

  test('shards of different runs are refused by name, and nothing is written', () => {
    const other = JSON.parse(readFileSync(join(root, shardFiles[1]!), 'utf8')) as Report
    writeFileSync(
      join(root, 'leakproof-report.other.json'),
      JSON.stringify({ ...other, framework: { name: framework === 'jest' ? 'vitest' : 'jest', version: '1.0.0' } }),
    )
    const refused = leakproof('report', shardFiles[0]!, 'leakproof-report.other.json', '--json', 'refused.json')
    expect(refused.code).toBe(1)
    expect(refused.stdout).toBe('')
    expect(refused.stderr).toMatch(
      /^leakproof: the reports are of different frameworks: leakproof-report\.shard-1-of-3\.json \(\w+ [^)]+\), leakproof-report\.other\.json \(\w+ 1\.0\.0\); merge only the shards of one run\.\n$/,
    )
    expect(existsSync(join(root, 'refused.json'))).toBe(false)
  })

  if (framework === 'vitest') {
    test('vitest --merge-reports: the plugin, loaded in the merge run, writes the merged report itself', () => {
      const merged = runVitest('shards', { args: [`--merge-reports=${blobs}`] })
      expect(failed(merged)).toEqual(failed(wholeRun))
      const report = readReport('leakproof-report.json')
      expect(report.shard).toBeUndefined()
      expect(essence(report)).toEqual(essence(whole))
      expect(merged.output).toMatch(/leakproof: 6 leaking tests in 6 files\n/)
    })
  }
})
