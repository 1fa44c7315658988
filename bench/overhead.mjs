// Wall-time overhead of @leakproof/vitest, as ratios against a plain run of the same suite in the
// same script (this machine is shared and noisy: compare, don't trust absolute times).
//
//   npm run bench            (RUNS=5 npm run bench for more rounds)
import { spawnSync } from 'node:child_process'
import { mkdirSync, rmSync, writeFileSync } from 'node:fs'
import { dirname, join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'

const here = dirname(fileURLToPath(import.meta.url))
const repo = resolve(here, '..')
const vitest = join(repo, 'node_modules/vitest/vitest.mjs')
const runs = Number(process.env.RUNS ?? 3)

/** A synthetic suite: 500 small tests in 5 files, the shape of a typical unit-test suite. */
function writeSyntheticSuite() {
  const root = join(here, '.suite-500')
  rmSync(root, { recursive: true, force: true })
  mkdirSync(join(root, 'tests'), { recursive: true })
  for (let f = 0; f < 5; f++) {
    const lines = ["import { describe, expect, test } from 'vitest'", '', `describe('module ${f}', () => {`]
    for (let t = 0; t < 100; t++) {
      lines.push(
        `  test('case ${t}', async () => {`,
        `    const items = Array.from({ length: 200 }, (_, i) => ({ id: i, name: 'item ' + i, score: (i * ${t + 7}) % 97 }))`,
        '    const sorted = [...items].sort((a, b) => a.score - b.score)',
        '    await Promise.resolve()',
        `    expect(sorted[0].score).toBeLessThanOrEqual(sorted[199].score)`,
        `    expect(JSON.parse(JSON.stringify(items)).length).toBe(200)`,
        '  })',
      )
    }
    lines.push('})', '')
    writeFileSync(join(root, 'tests', `module-${f}.test.ts`), lines.join('\n'))
  }
  return root
}

const suites = [
  {
    name: 'fixtures/vitest, clean half',
    root: join(repo, 'fixtures/vitest'),
    // Files whose clean tests do not call leaks.* (which needs the plugin), clean tests only.
    args: ['tests/handles.test.ts', 'tests/listeners.test.ts', 'tests/globals.test.ts', 'tests/retained.test.ts', 'tests/fetch.test.ts', 'tests/tiny.test.ts', 'tests/typed.test.ts', '-t', '^clean:'],
  },
  { name: 'synthetic, 500 small tests', root: writeSyntheticSuite(), args: [] },
]

const modes = {
  plain: join(here, 'configs/plain.config.mts'),
  leakproof: join(here, 'configs/leakproof.config.mts'),
  'full GC per test': join(here, 'configs/full-gc.config.mts'),
}

/** One whole `vitest run` process: its wall time, exit code and everything it printed. */
function vitestRun(root, config, args) {
  const start = performance.now()
  const result = spawnSync(process.execPath, [vitest, 'run', '--root', root, '--config', config, ...args], { encoding: 'utf8', env: { ...process.env, NO_COLOR: '1' } })
  return { ms: performance.now() - start, status: result.status, output: result.stdout + result.stderr }
}

/** Wall time of a run that must pass (the clean suites). */
function time(root, config, args) {
  const run = vitestRun(root, config, args)
  if (run.status !== 0) throw new Error(`run failed (${config}):\n${run.output}`)
  return run.ms
}

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]

console.log(`node ${process.version}, ${runs} rounds per mode, modes interleaved; wall time of the whole vitest process\n`)
for (const suite of suites) {
  const times = Object.fromEntries(Object.keys(modes).map((m) => [m, []]))
  time(suite.root, modes.plain, suite.args) // warm Vite's transform cache for every mode alike
  for (let i = 0; i < runs; i++) for (const [mode, config] of Object.entries(modes)) times[mode].push(time(suite.root, config, suite.args))
  const base = median(times.plain)
  console.log(suite.name)
  for (const mode of Object.keys(modes)) {
    const m = median(times[mode])
    console.log(`  ${mode.padEnd(18)} ${(m / 1000).toFixed(2).padStart(6)} s   ${(m / base).toFixed(2)}×`)
  }
  console.log()
}

// Vitest's own --detectAsyncLeaks on the whole fixture suite (leaks included): time and what it flags.
const fixtures = join(repo, 'fixtures/vitest')
const detectFiles = ['tests/handles.test.ts', 'tests/processes.test.ts', 'tests/listeners.test.ts', 'tests/globals.test.ts', 'tests/retained.test.ts', 'tests/fetch.test.ts', 'tests/tiny.test.ts', 'tests/typed.test.ts', 'tests/file-level.test.ts']
const plainTimes = []
const detectTimes = []
let detectOutput = ''
for (let i = 0; i < runs; i++) {
  plainTimes.push(time(fixtures, modes.plain, detectFiles))
  const detect = vitestRun(fixtures, modes.plain, ['--detectAsyncLeaks', ...detectFiles])
  detectTimes.push(detect.ms)
  detectOutput = detect.output
}
const flagged = [...detectOutput.matchAll(/^(\S+) leaking in (\S+)[\s\S]*?❯ (\S+:\d+:\d+)/gm)].map((m) => `${m[1]} at ${m[3]}`)
console.log(`vitest --detectAsyncLeaks on ${detectFiles.length} fixture files (leaking tests included)`)
console.log(`  time vs plain       ${(median(detectTimes) / median(plainTimes)).toFixed(2)}×`)
console.log(`  flagged (${flagged.length}, none fails a test):`)
for (const f of flagged) console.log(`    ${f}`)

// leakproof on the same files, for the side-by-side.
const lp = vitestRun(fixtures, modes.leakproof, detectFiles).output
const failedTests = [...lp.matchAll(/^ FAIL  (\S+) > (.+)$/gm)].map((m) => `${m[1]} > ${m[2]}`)
const failedFiles = [...lp.matchAll(/^ FAIL  (\S+) \[ /gm)].map((m) => m[1])
console.log(`leakproof on the same files: ${failedTests.length} tests and ${failedFiles.length} file(s) fail`)
for (const t of failedTests) console.log(`    ${t}`)
for (const f of failedFiles) console.log(`    ${f} (after afterAll)`)
