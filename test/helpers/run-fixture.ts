import { spawnSync } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { dirname, join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'

export const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '../..')

export interface TestOutcome {
  status: 'passed' | 'failed' | 'skipped' | 'pending' | 'todo'
  /** The failure messages as the framework reports them, colour stripped. */
  message: string
}

export interface FixtureRun {
  exitCode: number | null
  /** Everything the run printed, colour stripped, with the fixture's path replaced by `<root>`. */
  output: string
  /** Keyed by `file > describe > test` (file relative to the fixture). */
  tests: Map<string, TestOutcome>
  /** File-level failures (what fails after afterAll), keyed by file. */
  files: Map<string, string>
  /** leakproof's judging readings (LEAKPROOF_TRACE), one JSON line per step: printed when an e2e test fails. */
  trace: string
}

export interface RunOptions {
  files?: string[]
  args?: string[]
  env?: Record<string, string>
  /**
   * Vitest: no reporter on the command line, so the project's own reporters run as a CI job runs
   * them (on GitHub Actions, Vitest then adds its github-actions reporter by itself). The run's
   * tests are then not known (`tests` stays empty): read leakproof's report file instead.
   */
  ownReporters?: boolean
}

/** Where fixture projects live: the repo's, or a copy next to packed packages (.ci/packed-e2e). */
export const fixturesDir = process.env.LEAKPROOF_FIXTURES ?? join(repoRoot, 'fixtures')

/**
 * Runs the real Vitest CLI on a fixture project. `LEAKPROOF_VITEST_BIN` and `LEAKPROOF_NODE`
 * point the same tests at another Vitest and Node (the compatibility check in .ci/run).
 */
export function runVitest(fixture: string, options: RunOptions = {}): FixtureRun {
  const bin = process.env.LEAKPROOF_VITEST_BIN ?? join(repoRoot, 'node_modules/vitest/vitest.mjs')
  return runFixture(fixture, options, (root, json) => [
    bin,
    'run',
    '--root',
    root,
    ...(options.files ?? []),
    ...(options.ownReporters ? [] : ['--reporter=default', '--reporter=json', `--outputFile.json=${json}`]),
  ])
}

/**
 * Runs the real Jest CLI on a fixture project (its `jest.config.cjs`). `LEAKPROOF_JEST_BIN` points
 * the same tests at another Jest (the Jest 29 check in .ci/run). `--forceExit`: the fixtures leak
 * handles on purpose, which would keep Jest's process alive.
 */
export function runJest(fixture: string, options: RunOptions = {}): FixtureRun {
  return runFixture(fixture, options, (root, json) => [
    jestBin(),
    '--config',
    join(root, 'jest.config.cjs'),
    '--ci',
    '--forceExit',
    '--json',
    `--outputFile=${json}`,
    ...(options.files ?? []),
  ])
}

export function jestBin(): string {
  return process.env.LEAKPROOF_JEST_BIN ?? join(repoRoot, 'node_modules/jest/bin/jest.js')
}

/** Both frameworks write the same JSON shape (Vitest's json reporter copies Jest's). */
interface JsonReport {
  testResults: Array<{
    name: string
    message: string
    assertionResults: Array<{
      ancestorTitles: string[]
      title: string
      status: TestOutcome['status']
      failureMessages: string[]
    }>
  }>
}

function runFixture(
  fixture: string,
  options: RunOptions,
  command: (root: string, json: string) => string[],
): FixtureRun {
  const root = join(fixturesDir, fixture)
  const out = mkdtempSync(join(tmpdir(), 'leakproof-e2e-'))
  const json = join(out, 'results.json')
  const traceFile = join(out, 'trace.jsonl')
  const node = process.env.LEAKPROOF_NODE ?? process.execPath
  const result = spawnSync(node, [...command(root, json), ...(options.args ?? [])], {
    cwd: root,
    encoding: 'utf8',
    env: { ...process.env, NO_COLOR: '1', FORCE_COLOR: '0', CI: 'true', LEAKPROOF_TRACE: traceFile, ...options.env },
    maxBuffer: 64 * 1024 * 1024,
  })
  const output = clean(`${result.stdout}\n${result.stderr}`, root)
  const tests = new Map<string, TestOutcome>()
  const files = new Map<string, string>()
  try {
    const report = JSON.parse(readFileSync(json, 'utf8')) as JsonReport
    for (const file of report.testResults) {
      const rel = file.name.slice(root.length + 1)
      // Jest's file message repeats every failed test's; only "Test suite failed to run" is the file's own.
      if (file.message && (!file.message.includes('●') || file.message.includes('● Test suite failed to run')))
        files.set(rel, clean(file.message, root))
      for (const t of file.assertionResults) {
        tests.set([rel, ...t.ancestorTitles, t.title].join(' > '), {
          status: t.status,
          message: clean(t.failureMessages.join('\n'), root),
        })
      }
    }
  } catch {
    // No JSON: the run failed before reporting. `output` says why; tests assert on it.
  }
  let trace = ''
  try {
    trace = readFileSync(traceFile, 'utf8')
  } catch {
    // No memory suspect was judged.
  } finally {
    rmSync(out, { recursive: true, force: true })
  }
  const run = { exitCode: result.status, output, tests, files, trace }
  runsOfThisTest.push(run)
  return run
}

/** The fixture runs of the e2e test in progress: printed when it fails (show-runs-on-failure.ts). */
export const runsOfThisTest: FixtureRun[] = []

function clean(text: string, root: string): string {
  // eslint-disable-next-line no-control-regex
  return text
    .replace(/\u001b\[[0-9;]*m/g, '')
    .split(root)
    .join('<root>')
}

/** The tests whose names start with `prefix`, e.g. every `leaks:` test of a run. */
export function named(run: FixtureRun, prefix: string): string[] {
  return [...run.tests.keys()].filter((k) => k.split(' > ').at(-1)!.startsWith(prefix)).sort()
}

export function failed(run: FixtureRun): string[] {
  return [...run.tests]
    .filter(([, t]) => t.status === 'failed')
    .map(([k]) => k)
    .sort()
}
