// `leakproof diff` against memlab on a pair of heap snapshots of one process (about 100 MB each):
// whole processes, each timed and measured by GNU time (wall seconds, peak RSS), medians of RUNS.
//
//   npm run build -w @leakproof/core && node bench/snapshot-diff.mjs      (SIZE=100 RUNS=3)
//
// leakproof: `leakproof diff before after` as a user runs it (parse both, the id diff, dominators
// and retained sizes of the groups, shortest paths, folding, the printed report).
// memlab: what the same answer needs at least: both snapshots loaded with their id index
// (`utils.getSnapshotFromFile(file, { buildNodeIdIndex: true })`), shortest paths on the second
// (`TraceFinder.annotateShortestPaths`), and the id diff (nodes of the second whose id the first
// lacks) — no retained sizes, no grouping, no printing.
//
// The pair comes from bench/lib/make-heap.cjs (the bench:snapshots heap, then 2 % more sessions),
// cached in bench/.snapshots/. The machine is shared: compare the two within one run.
import { execFileSync, spawnSync } from 'node:child_process'
import { existsSync, mkdirSync, renameSync, statSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { core } from './lib/heap-engines.mjs'

const self = fileURLToPath(import.meta.url)
const here = dirname(self)
const MB = 1024 ** 2

if (process.argv[2] === '--memlab') await memlabDiff(process.argv[3], process.argv[4])
else main()

async function memlabDiff(beforeFile, afterFile) {
  const memlab = (await import('@memlab/core')).default
  memlab.config.muteConsole = true
  const before = await memlab.utils.getSnapshotFromFile(beforeFile, { buildNodeIdIndex: true })
  const after = await memlab.utils.getSnapshotFromFile(afterFile, { buildNodeIdIndex: true })
  new memlab.TraceFinder().annotateShortestPaths(after)
  let created = 0
  after.nodes.forEach((node) => {
    if (!before.getNodeById(node.id)) created++
  })
  console.log(JSON.stringify({ created }))
}

function main() {
  const size = Number(process.env.SIZE ?? 100)
  const runs = Number(process.env.RUNS ?? 3)
  const { before, after } = pairOf(size)
  const mbOf = (f) => statSync(f).size / MB
  console.log(
    `Node ${process.version}; pair of one process: before ${mbOf(before).toFixed(1)} MB, after ${mbOf(after).toFixed(1)} MB; medians of ${runs} whole processes (GNU time: wall s, max RSS)\n`,
  )
  const engines = {
    leakproof: [join(core, 'dist', 'esm', 'cli', 'main.js'), 'diff', before, after],
    memlab: [self, '--memlab', before, after],
  }
  const results = Object.fromEntries(Object.keys(engines).map((e) => [e, []]))
  // Alternating, so that a burst of load on the shared machine hits both.
  for (let r = 0; r < runs; r++) for (const [engine, args] of Object.entries(engines)) results[engine].push(timed(args))
  const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]
  const rows = Object.entries(results).map(([engine, rs]) => ({
    engine,
    seconds: median(rs.map((r) => r.seconds)),
    rssMb: median(rs.map((r) => r.rssMb)),
    all: rs.map((r) => `${r.seconds.toFixed(2)} s/${r.rssMb} MB`).join(', '),
  }))
  console.log('engine     median s  median peak RSS MB  runs')
  for (const r of rows)
    console.log(`${r.engine.padEnd(9)}  ${r.seconds.toFixed(2).padStart(8)}  ${String(r.rssMb).padStart(18)}  ${r.all}`)
  const [lp, ml] = rows
  console.log(
    `\nleakproof diff vs memlab (load + paths + id diff): ${(ml.seconds / lp.seconds).toFixed(1)}× faster, at ${(lp.rssMb / ml.rssMb).toFixed(2)}× the peak RSS`,
  )
}

/** Wall seconds and peak RSS (MB) of one whole `node …` process, from GNU time. */
function timed(args) {
  const { stderr: out, status } = spawnSync(
    '/usr/bin/time',
    ['-f', 'leakproof-bench %e %M', process.execPath, ...args],
    {
      encoding: 'utf8',
      stdio: ['ignore', 'ignore', 'pipe'],
      maxBuffer: 64 * MB,
    },
  )
  const m = /leakproof-bench ([\d.]+) (\d+)/.exec(out)
  if (status !== 0 || !m) throw new Error(`${args.join(' ')} failed (status ${status}): ${out.slice(-500)}`)
  return { seconds: Number(m[1]), rssMb: Math.round(Number(m[2]) / 1024) }
}

/** A cached before/after pair of about `size` MB each, generated when missing. */
function pairOf(size) {
  const dir = join(here, '.snapshots')
  mkdirSync(dir, { recursive: true })
  const base = join(dir, `pair-${size}mb-node${process.versions.node.split('.')[0]}`)
  const before = `${base}.before.heapsnapshot`
  const after = `${base}.after.heapsnapshot`
  if (existsSync(before) && existsSync(after)) return { before, after }
  // About 1.3 KB of snapshot per session over a 5 MB baseline (see snapshot-engines.mjs).
  const entries = Math.round((size * MB - 5 * MB) / 1330)
  execFileSync(
    process.execPath,
    [
      join(here, 'lib', 'make-heap.cjs'),
      `${before}.tmp`,
      String(entries),
      `${after}.tmp`,
      String(Math.round(entries / 50)),
    ],
    { stdio: 'inherit' },
  )
  renameSync(`${before}.tmp`, before)
  renameSync(`${after}.tmp`, after)
  return { before, after }
}
