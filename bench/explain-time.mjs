// The time from a confirmed retained leak to its printed explanation, in a test worker: a process
// with a 50 MB heap, and one with 150 MB and TypeScript's compiler loaded (a ts-jest-like worker).
// Timed around the call the detector makes (explainRetained: snapshot, one more run, snapshot,
// analysis), medians of RUNS. CORE=<dir of another @leakproof/core build> times that build on the
// same machine, for a before/after (the call is the same in both).
//   npm run build -w @leakproof/core && node bench/explain-time.mjs      (RUNS=3)
import { execFileSync } from 'node:child_process'
import { dirname, join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'

const here = dirname(fileURLToPath(import.meta.url))
const coreDir = resolve(process.env.CORE ?? join(here, '..', 'packages', 'core'))
const runs = Number(process.env.RUNS ?? 3)
const workers = [
  { label: '50 MB heap', live: 50, flavour: 'plain' },
  { label: '150 MB heap + TypeScript (ts-jest-like)', live: 150, flavour: 'typescript' },
]
console.log(`Node ${process.version}, @leakproof/core from ${coreDir}; medians of ${runs}`)
for (const w of workers) {
  const results = []
  for (let r = 0; r < runs; r++) {
    const out = execFileSync(
      process.execPath,
      [join(here, 'lib', 'leaking-worker.cjs'), coreDir, String(w.live), w.flavour],
      { encoding: 'utf8', maxBuffer: 16 * 1024 * 1024 },
    )
    const result = JSON.parse(out.trim().split('\n').at(-1))
    if (!result.explained) throw new Error(`the explanation does not name the leaking objects:\n${result.text}`)
    results.push(result)
  }
  const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]
  console.log(
    `${w.label.padEnd(40)} confirmed leak → explanation ${median(results.map((r) => r.seconds)).toFixed(1)} s (runs: ${results.map((r) => r.seconds.toFixed(1)).join(', ')}); heap ${median(results.map((r) => r.heapUsedMb))} MB, worker peak RSS ${median(results.map((r) => r.maxRssMb))} MB`,
  )
}
