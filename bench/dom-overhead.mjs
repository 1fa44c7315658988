// Overhead of the DOM checks (listener on DOM targets, dom) on the clean tests of fixtures/dom and
// fixtures/react: wall time of whole framework processes with leakproof, as a ratio against the same
// tests without it, modes interleaved, medians. Absolute times on this shared machine are noise.
//
//   node bench/dom-overhead.mjs          (RUNS=5 for more rounds)
import { dirname, join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { median, spawnRun } from './lib/spawn.mjs'

const here = dirname(fileURLToPath(import.meta.url))
const repo = resolve(here, '..')
const vitest = join(repo, 'node_modules/vitest/vitest.mjs')
const jest = join(repo, 'node_modules/jest/bin/jest.js')
const runs = Number(process.env.RUNS ?? 3)

const clean = ['-t', '^clean:']
const setups = []
for (const fixture of ['dom', 'react']) {
  const root = join(repo, 'fixtures', fixture)
  for (const env of ['jsdom', 'happy-dom']) {
    setups.push({
      name: `fixtures/${fixture}, Vitest ${env}`,
      run: (leakproof) =>
        spawnRun([vitest, 'run', '--root', root, '--config', join(here, 'configs/dom.config.mts'), ...clean], root, {
          BENCH_ENV: env,
          BENCH_LEAKPROOF: leakproof ? '1' : '0',
        }),
    })
  }
  setups.push({
    name: `fixtures/${fixture}, Jest jsdom`,
    run: (leakproof) =>
      spawnRun([jest, '--config', join(here, 'configs/jest-dom.config.cjs'), '--forceExit', ...clean], root, {
        BENCH_ROOT: fixture,
        BENCH_LEAKPROOF: leakproof ? '1' : '0',
      }),
  })
}

function mustPass(run, what) {
  if (run.status !== 0) throw new Error(`run failed (${what}):\n${run.output}`)
  return run.ms
}

console.log(
  `node ${process.version}, ${runs} rounds per mode, modes interleaved; wall time of the whole process, clean tests only\n`,
)
console.log(`  ${'suite'.padEnd(32)} ${'plain'.padStart(8)} ${'leakproof'.padStart(10)}   ratio`)
for (const setup of setups) {
  mustPass(setup.run(false), `${setup.name}, warm-up`) // transform caches
  const times = { plain: [], leakproof: [] }
  for (let i = 0; i < runs; i++) {
    times.plain.push(mustPass(setup.run(false), `${setup.name}, plain`))
    times.leakproof.push(mustPass(setup.run(true), `${setup.name}, leakproof`))
  }
  const plain = median(times.plain)
  const lp = median(times.leakproof)
  console.log(
    `  ${setup.name.padEnd(32)} ${(plain / 1000).toFixed(2).padStart(7)}s ${(lp / 1000).toFixed(2).padStart(9)}s   ${(lp / plain).toFixed(2)}×`,
  )
}
