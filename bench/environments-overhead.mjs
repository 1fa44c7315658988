// What the environment check (kind `environment`) costs on clean suites where test files share a
// worker: a 100-file Jest suite and a 100-file Vitest `vmForks` suite, run with leakproof and the
// check on, then off, alternating in one script, as a ratio (the machine is shared: compare, do not
// trust absolute times). Target: at most 3 % more.
//
//   node bench/environments-overhead.mjs          (RUNS=5 for more rounds)
//
// Then the time from the end of a run to the explained report for one leaking file (ONLY=leak runs
// only that).
//
// Vitest 4.1's vm pools run a worker's files in one context (no file environment to watch): for
// Vitest 5, point LEAKPROOF_VITEST_BIN at its vitest.mjs and SUITE_DIR at a folder inside the
// project that installed it, with its Node (ONLY=vitest or ONLY=jest runs one of the two suites).
import { mkdirSync, rmSync, writeFileSync } from 'node:fs'
import { dirname, join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { median, spawnRun } from './lib/spawn.mjs'

const here = dirname(fileURLToPath(import.meta.url))
const repo = resolve(here, '..')
const runs = Number(process.env.RUNS ?? 3)
const FILES = 100

/** 100 clean files of five small tests each, as a unit-test suite's files are; both frameworks run them. */
function writeSuite() {
  const root = process.env.SUITE_DIR ?? join(here, '.suite-environments')
  if (!process.env.KEEP_SUITE) rmSync(root, { recursive: true, force: true })
  mkdirSync(join(root, 'tests'), { recursive: true })
  for (let f = 0; f < FILES; f++) {
    const lines = [`describe('module ${f}', () => {`]
    for (let t = 0; t < 5; t++)
      lines.push(
        `  test('case ${t}', () => {`,
        `    const items = Array.from({ length: 2000 }, (_, i) => ({ id: i, name: 'item ' + i, score: (i * ${t + 7}) % 97 }))`,
        '    expect([...items].sort((a, b) => a.score - b.score)[0].score).toBe(0)',
        '  })',
      )
    lines.push('})', '')
    writeFileSync(join(root, 'tests', `file-${f}.test.js`), lines.join('\n'))
  }
  const environment = (severity) => ({ leakproof: { kinds: { environment: severity } } })
  for (const severity of ['error', 'off']) {
    writeFileSync(
      join(root, `jest-${severity}.config.cjs`),
      `module.exports = ${JSON.stringify({
        rootDir: root,
        testEnvironment: '@leakproof/jest/node',
        testEnvironmentOptions: environment(severity),
        reporters: ['default', '@leakproof/jest/reporter'],
        testMatch: ['<rootDir>/tests/*.test.js'],
        transform: {},
      })}\n`,
    )
    writeFileSync(
      join(root, `vitest-${severity}.config.mjs`),
      [
        "import leakproof from '@leakproof/vitest'",
        `export default { plugins: [leakproof({ kinds: { environment: '${severity}' } })], test: { globals: true, pool: 'vmForks', include: ['tests/*.test.js'] } }`,
        '',
      ].join('\n'),
    )
  }
  return root
}

const root = writeSuite()
const jest = join(repo, 'node_modules/jest/bin/jest.js')
const vitest = process.env.LEAKPROOF_VITEST_BIN ?? join(repo, 'node_modules/vitest/vitest.mjs')
const suites = [
  { name: `Jest, ${FILES} files, 2 workers`, args: (s) => [jest, '--config', `jest-${s}.config.cjs`, '-w', '2'] },
  { name: `Vitest vmForks, ${FILES} files`, args: (s) => [vitest, 'run', '--config', `vitest-${s}.config.mjs`] },
]
for (const suite of suites.filter((s) => !process.env.ONLY || s.name.toLowerCase().startsWith(process.env.ONLY))) {
  const times = { error: [], off: [] }
  for (let i = 0; i < runs; i++)
    for (const severity of ['off', 'error']) {
      const run = spawnRun(suite.args(severity), root)
      if (run.status !== 0) throw new Error(`${suite.name} (environment: ${severity}) failed:\n${run.output}`)
      times[severity].push(run.ms)
    }
  const on = median(times.error)
  const off = median(times.off)
  console.log(
    `${suite.name}: check on ${(on / 1000).toFixed(2)} s, off ${(off / 1000).toFixed(2)} s (medians of ${runs}): ×${(on / off).toFixed(3)}`,
  )
}

/**
 * The time from the end of a run to its explained report, for one leaking file: Jest in band, a
 * clean file and a file whose import patches `fs.readFile` for good (holding 16 MB, as a real
 * file's data), judged at the run's end in the reporter (two full GCs, one heap snapshot, the path).
 * The same run with the check off, alternating; the difference of the medians is that time.
 */
function writeLeakSuite() {
  const dir = join(root, 'one-leak')
  mkdirSync(join(dir, 'tests'), { recursive: true })
  writeFileSync(join(dir, 'tests', 'a-clean.test.js'), "test('adds', () => expect(1 + 1).toBe(2))\n")
  writeFileSync(
    join(dir, 'tests', 'b-leaks.test.js'),
    [
      "const fs = require('node:fs')",
      'const original = fs.readFile',
      'fs.readFile = function readFileWithRetry(...args) { return original.apply(this, args) }',
      'const records = Array.from({ length: 16 }, (_, i) => Array.from({ length: 16 * 1024 }, (_, j) => ({ i, j })))',
      "test('holds its records', () => expect(records).toHaveLength(16))",
      '',
    ].join('\n'),
  )
  for (const severity of ['error', 'off'])
    writeFileSync(
      join(dir, `jest-${severity}.config.cjs`),
      `module.exports = ${JSON.stringify({
        rootDir: dir,
        testEnvironment: '@leakproof/jest/node',
        testEnvironmentOptions: { leakproof: { kinds: { environment: severity } } },
        reporters: ['default', '@leakproof/jest/reporter'],
        testMatch: ['<rootDir>/tests/*.test.js'],
        transform: {},
      })}\n`,
    )
  return dir
}
if (!process.env.ONLY || process.env.ONLY === 'leak') {
  const dir = writeLeakSuite()
  const times = { error: [], off: [] }
  for (let i = 0; i < runs; i++)
    for (const severity of ['off', 'error']) {
      const run = spawnRun([jest, '--config', `jest-${severity}.config.cjs`, '--runInBand'], dir)
      const leaking = severity === 'error'
      if (run.status !== (leaking ? 1 : 0) || leaking !== /held by the function written at/.test(run.output))
        throw new Error(`one leaking file (environment: ${severity}) exited ${run.status}:\n${run.output}`)
      times[severity].push(run.ms)
    }
  const on = median(times.error)
  const off = median(times.off)
  console.log(
    `Jest in band, one leaking file: check on ${(on / 1000).toFixed(2)} s, off ${(off / 1000).toFixed(2)} s (medians of ${runs}): the explained report ${((on - off) / 1000).toFixed(2)} s after the run's end`,
  )
}
if (!process.env.KEEP_SUITE) rmSync(root, { recursive: true, force: true })
