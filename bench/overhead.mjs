// Wall-time overhead of @leakproof/vitest and @leakproof/jest, as ratios against a plain run of the
// same suite in the same script (this machine is shared and noisy: compare, don't trust absolute
// times), and the frameworks' own leak checks on the same files: their time and what they catch.
//
//   npm run bench            (RUNS=5 npm run bench for more rounds)
import { mkdirSync, rmSync, writeFileSync } from 'node:fs'
import { dirname, join, resolve } from 'node:path'
import { createRequire } from 'node:module'
import { fileURLToPath } from 'node:url'
import { median, spawnRun as spawnIn } from './lib/spawn.mjs'

const here = dirname(fileURLToPath(import.meta.url))
const repo = resolve(here, '..')
const vitest = join(repo, 'node_modules/vitest/vitest.mjs')
const jest = join(repo, 'node_modules/jest/bin/jest.js')
const corpus = join(repo, 'fixtures/corpus')
const runs = Number(process.env.RUNS ?? 3)
const require = createRequire(import.meta.url)

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
    name: 'fixtures/corpus, clean half',
    root: corpus,
    // Files whose clean tests do not call leaks.* (which needs the plugin), clean tests only.
    args: [
      'tests/handles.test.ts',
      'tests/listeners.test.ts',
      'tests/globals.test.ts',
      'tests/retained.test.ts',
      'tests/fetch.test.ts',
      'tests/tiny.test.ts',
      'tests/typed.test.ts',
      '-t',
      '^clean:',
    ],
  },
  { name: 'synthetic, 500 small tests', root: writeSyntheticSuite(), args: [] },
]

const modes = {
  plain: join(here, 'configs/plain.config.mts'),
  leakproof: join(here, 'configs/leakproof.config.mts'),
  'full GC per test': join(here, 'configs/full-gc.config.mts'),
}

const spawnRun = (args, cwd = repo) => spawnIn(args, cwd)

const vitestRun = (root, config, args) => spawnRun([vitest, 'run', '--root', root, '--config', config, ...args])
const jestRun = (config, args) =>
  spawnRun([jest, '--config', join(here, 'configs', config), '--forceExit', ...args], corpus)

/** Wall time of a run that must pass (the clean suites). */
function mustPass(run, what) {
  if (run.status !== 0) throw new Error(`run failed (${what}):\n${run.output}`)
  return run.ms
}
const time = (root, config, args) => mustPass(vitestRun(root, config, args), config)

console.log(
  `node ${process.version}, ${runs} rounds per mode, modes interleaved; wall time of the whole vitest process\n`,
)
for (const suite of suites) {
  const times = Object.fromEntries(Object.keys(modes).map((m) => [m, []]))
  time(suite.root, modes.plain, suite.args) // warm Vite's transform cache for every mode alike
  for (let i = 0; i < runs; i++)
    for (const [mode, config] of Object.entries(modes)) times[mode].push(time(suite.root, config, suite.args))
  const base = median(times.plain)
  console.log(suite.name)
  for (const mode of Object.keys(modes)) {
    const m = median(times[mode])
    console.log(`  ${mode.padEnd(18)} ${(m / 1000).toFixed(2).padStart(6)} s   ${(m / base).toFixed(2)}×`)
  }
  console.log()
}

// Vitest's own --detectAsyncLeaks on the whole fixture suite (leaks included): time and what it flags.
const detectFiles = [
  'tests/handles.test.ts',
  'tests/processes.test.ts',
  'tests/listeners.test.ts',
  'tests/globals.test.ts',
  'tests/retained.test.ts',
  'tests/fetch.test.ts',
  'tests/tiny.test.ts',
  'tests/typed.test.ts',
  'tests/file-level.test.ts',
]
const plainTimes = []
const detectTimes = []
let detectOutput = ''
for (let i = 0; i < runs; i++) {
  plainTimes.push(time(corpus, modes.plain, detectFiles))
  const detect = vitestRun(corpus, modes.plain, ['--detectAsyncLeaks', ...detectFiles])
  detectTimes.push(detect.ms)
  detectOutput = detect.output
}
const flagged = [...detectOutput.matchAll(/^(\S+) leaking in (\S+)[\s\S]*?❯ (\S+:\d+:\d+)/gm)].map(
  (m) => `${m[1]} at ${m[3]}`,
)
console.log(`vitest --detectAsyncLeaks on ${detectFiles.length} fixture files (leaking tests included)`)
console.log(`  time vs plain       ${(median(detectTimes) / median(plainTimes)).toFixed(2)}×`)
console.log(`  flagged (${flagged.length}, none fails a test):`)
for (const f of flagged) console.log(`    ${f}`)

// leakproof on the same files, for the side-by-side.
const lp = vitestRun(corpus, modes.leakproof, detectFiles).output
const failedTests = [...lp.matchAll(/^ FAIL  (\S+) > (.+)$/gm)].map((m) => `${m[1]} > ${m[2]}`)
const failedFiles = [...lp.matchAll(/^ FAIL  (\S+) \[ /gm)].map((m) => m[1])
console.log(`leakproof on the same files: ${failedTests.length} tests and ${failedFiles.length} file(s) fail`)
for (const t of failedTests) console.log(`    ${t}`)
for (const f of failedFiles) console.log(`    ${f} (after afterAll)`)

// Jest: the same clean half under plain Jest and under @leakproof/jest, then Jest's own
// --detectLeaks on the same files as above (leaking tests included).
const jestClean = [...suites[0].args.slice(0, -2), '-t', '^clean:']
const jestTimes = { plain: [], leakproof: [] }
mustPass(jestRun('jest-plain.config.cjs', jestClean), 'jest plain') // warm Babel's transform cache
for (let i = 0; i < runs; i++) {
  jestTimes.plain.push(mustPass(jestRun('jest-plain.config.cjs', jestClean), 'jest plain'))
  jestTimes.leakproof.push(mustPass(jestRun('jest-leakproof.config.cjs', jestClean), 'jest leakproof'))
}
console.log(`\nfixtures/corpus, clean half, under Jest ${require('jest/package.json').version}`)
for (const mode of ['plain', 'leakproof']) {
  const m = median(jestTimes[mode])
  console.log(
    `  ${mode.padEnd(18)} ${(m / 1000).toFixed(2).padStart(6)} s   ${(m / median(jestTimes.plain)).toFixed(2)}×`,
  )
}

const jestPlain = []
const jestDetect = []
let detectLeaksOutput = ''
for (let i = 0; i < runs; i++) {
  jestPlain.push(jestRun('jest-plain.config.cjs', detectFiles).ms)
  const detect = jestRun('jest-plain.config.cjs', ['--detectLeaks', ...detectFiles])
  jestDetect.push(detect.ms)
  detectLeaksOutput = detect.output
}
const leakMessages = (detectLeaksOutput.match(/Your test suite is leaking memory/g) ?? []).length
console.log(`jest --detectLeaks on the same ${detectFiles.length} files (leaking tests included)`)
console.log(`  time vs plain jest  ${(median(jestDetect) / median(jestPlain)).toFixed(2)}×`)
console.log(`  files it says leak: ${leakMessages} (whole files, no test, no cause)`)
const jestLp = jestRun('jest-leakproof.config.cjs', detectFiles).output
const jestFailed = (jestLp.match(/^ {2}● (?!Test suite failed to run).+$/gm) ?? []).length
const jestFailedFiles = (jestLp.match(/● Test suite failed to run/g) ?? []).length
console.log(`@leakproof/jest on the same files: ${jestFailed} tests and ${jestFailedFiles} file(s) fail`)
