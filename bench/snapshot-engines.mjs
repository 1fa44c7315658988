// Heap snapshot engines compared on real snapshots of about 20, 100 and 300 MB: leakproof
// (@leakproof/core), memlab (@memlab/core), Chrome DevTools' loader (heap-snapshot-toolkit) and
// v8-heapsnapshot. Each engine runs in its own child process per snapshot, so its peak RSS is its
// own; a child that runs out of memory or past the timeout is recorded as such.
//
//   npm run bench:snapshots                 (all sizes; builds @leakproof/core first)
//   SIZES=20,100 node bench/snapshot-engines.mjs
//   ENGINES=leakproof,memlab TIMEOUT_S=120 node bench/snapshot-engines.mjs
//
// Snapshots are generated once by bench/lib/make-heap.cjs (a Map of class instances with closures,
// arrays, strings, linked chains, typed arrays) and cached in bench/.snapshots/ (gitignored).
// This machine is shared and noisy: compare engines within one run, don't trust absolute times.
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs'
import { cpus, totalmem } from 'node:os'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import {
  core,
  devtoolsLoad,
  leakproofLoad,
  memlabLoad,
  peakRssMb,
  runChild,
  since,
  v8HeapsnapshotLoad,
} from './lib/heap-engines.mjs'

const self = fileURLToPath(import.meta.url)
const here = dirname(self)
const MB = 1024 ** 2

const ENGINES = {
  leakproof: { label: 'leakproof', run: childLeakproof },
  memlab: { label: 'memlab', run: childMemlab },
  devtools: { label: 'DevTools (heap-snapshot-toolkit)', run: childDevtools },
  v8hs: { label: 'v8-heapsnapshot', run: childV8Heapsnapshot },
}

// ---------------------------------------------------------------- children: one engine, one file
// Each prints one JSON line per finished phase (so a child killed later still tells how far it got)
// and a last line with counts and its peak RSS.

const emit = (o) => console.log(JSON.stringify(o))

/** Node count per node type, the sum of self sizes: what the agreement check compares. */
function census(count, typeOf, selfSizeOf) {
  const types = {}
  let selfSize = 0
  for (let n = 0; n < count; n++) {
    const t = typeOf(n)
    types[t] = (types[t] ?? 0) + 1
    selfSize += selfSizeOf(n)
  }
  return { types, selfSize }
}

/** Peak RSS once Node and the engine's modules are loaded, before the file is read. */
async function baseline(specifier) {
  await import(specifier)
  const baseRssMb = peakRssMb()
  emit({ phase: 'ready', baseRssMb })
  return baseRssMb
}

async function childLeakproof(file) {
  const baseRssMb = await baseline(join(core, 'dist', 'esm', 'index.js'))
  const { engine, snapshot: s, parseSeconds } = await leakproofLoad(file)
  emit({ phase: 'parse', parseSeconds })
  let t = performance.now()
  engine.shortestPaths(s) // BFS from the root over retaining edges (builds the shared edge mask)
  const pathsSeconds = since(t)
  emit({ phase: 'paths', pathsSeconds })
  t = performance.now()
  engine.dominators(s) // Lengauer–Tarjan + retained sizes
  const dominatorSeconds = since(t)
  emit({
    done: true,
    parseSeconds,
    pathsSeconds,
    dominatorSeconds,
    nodes: s.nodeCount,
    edges: s.edgeCount,
    ...census(
      s.nodeCount,
      (n) => s.nodeType(n),
      (n) => s.selfSize(n),
    ),
    baseRssMb,
    peakRssMb: peakRssMb(),
  })
}

async function childMemlab(file) {
  // getFullHeapFromFile = getSnapshotFromFile + analysis.preparePathFinder; the latter's steps are
  // TraceFinder.annotateShortestPaths and calculateAllNodesRetainedSizes (+ React Fiber marks, skipped).
  const baseRssMb = await baseline('@memlab/core')
  const { memlab, heap, parseSeconds } = await memlabLoad(file)
  emit({ phase: 'parse', parseSeconds })
  const finder = new memlab.TraceFinder()
  let t = performance.now()
  finder.annotateShortestPaths(heap)
  const pathsSeconds = since(t)
  emit({ phase: 'paths', pathsSeconds })
  t = performance.now()
  finder.calculateAllNodesRetainedSizes(heap)
  const dominatorSeconds = since(t)
  const nodes = heap.nodes
  emit({
    done: true,
    parseSeconds,
    pathsSeconds,
    dominatorSeconds,
    nodes: nodes.length,
    edges: heap.edges.length,
    ...census(
      nodes.length,
      (n) => nodes.get(n).type,
      (n) => nodes.get(n).self_size,
    ),
    baseRssMb,
    peakRssMb: peakRssMb(),
  })
}

async function childDevtools(file) {
  const baseRssMb = await baseline('heap-snapshot-toolkit')
  const { parseSeconds, build } = await devtoolsLoad(file)
  emit({ phase: 'parse', parseSeconds })
  const { snapshot: s, buildSeconds } = await build()
  const { nodes, nodeFieldCount: f, nodeTypeOffset, nodeSelfSizeOffset, nodeTypes } = s
  emit({
    done: true,
    parseSeconds,
    buildSeconds,
    nodes: s.nodeCount,
    edges: s.containmentEdges.length / s.edgeFieldsCount,
    ...census(
      s.nodeCount,
      (n) => nodeTypes[nodes.getValue(n * f + nodeTypeOffset)],
      (n) => nodes.getValue(n * f + nodeSelfSizeOffset),
    ),
    baseRssMb,
    peakRssMb: peakRssMb(),
  })
}

async function childV8Heapsnapshot(file) {
  const baseRssMb = await baseline('v8-heapsnapshot')
  const { snapshot: s, parseSeconds } = await v8HeapsnapshotLoad(file)
  emit({
    done: true,
    parseSeconds,
    nodes: s.nodes.length,
    edges: s.edges.length,
    ...census(
      s.nodes.length,
      (n) => s.nodes[n].type,
      (n) => s.nodes[n].self_size,
    ),
    baseRssMb,
    peakRssMb: peakRssMb(),
  })
}

// ---------------------------------------------------------------- parent

async function main() {
  const sizes = (process.env.SIZES ?? '20,100,300').split(',').map(Number)
  const engines = (process.env.ENGINES ?? Object.keys(ENGINES).join(',')).split(',')
  const timeoutS = Number(process.env.TIMEOUT_S ?? 300)
  // Large enough for the hungriest engine, below the machine's RAM (RSS is measured, not capped).
  const maxOldSpaceMb = Math.min(16384, Math.floor((totalmem() / MB) * 0.6))
  console.log(
    `Node ${process.version}, ${cpus().length} cores, ${Math.round(totalmem() / MB)} MB RAM; each engine in its own child with --max-old-space-size=${maxOldSpaceMb}, timeout ${timeoutS} s`,
  )
  console.log(
    "peak RSS: the child's process.resourceUsage().maxRSS (whole process); base = the same once Node and the library are loaded, before the file is read",
  )
  console.log('(polled from /proc/<pid>/status VmHWM for a child that dies or is killed)\n')

  const files = []
  for (const size of sizes) files.push(await snapshotOf(size, maxOldSpaceMb))
  console.log(
    `snapshots: ${files.map((f) => `${f.size} MB target → ${f.mb.toFixed(1)} MB (${f.entries} sessions)`).join(', ')}\n`,
  )

  for (const [i, f] of files.entries()) {
    const results = {}
    for (const engine of engines) {
      const r = await runChild(self, ['--child', engine, f.path], { timeoutMs: timeoutS * 1000, maxOldSpaceMb })
      results[engine] = { ...r, ...Object.assign({}, ...r.lines) }
    }
    printTable(f, engines, results, timeoutS)
    if (i === 0) printAgreement(f, engines, results)
  }
  console.log(NOTES)
}

/** A cached snapshot of about `size` MB, generated (and calibrated once) when missing. */
async function snapshotOf(size, maxOldSpaceMb) {
  const dir = join(here, '.snapshots')
  mkdirSync(dir, { recursive: true })
  const path = join(dir, `sessions-${size}mb-node${process.versions.node.split('.')[0]}.heapsnapshot`)
  const entriesFile = `${path}.entries`
  if (existsSync(path) && existsSync(entriesFile)) {
    return { size, path, mb: statSync(path).size / MB, entries: Number(readFileSync(entriesFile, 'utf8')) }
  }
  // About 1.3 KB of snapshot per session over a 5 MB empty-process baseline (Node 20); one correction.
  const BASE = 5 * MB
  let entries = Math.max(1000, Math.round((size * MB - BASE) / 1330))
  const tmp = `${path}.tmp`
  for (let attempt = 0; ; attempt++) {
    const t = performance.now()
    const r = await runChild(join(here, 'lib', 'make-heap.cjs'), [tmp, String(entries)], {
      timeoutMs: 900_000,
      maxOldSpaceMb,
    })
    if (r.outcome !== 'ok') throw new Error(`generating a ${size} MB snapshot: ${r.outcome}\n${r.stderr}`)
    const bytes = statSync(tmp).size
    console.log(
      `generated ${(bytes / MB).toFixed(1)} MB snapshot of ${entries} sessions (heapUsed ${r.last.heapUsedMb} MB) in ${since(t)} s, capture ${r.last.seconds} s, generator peak RSS ${r.polledPeakMb} MB`,
    )
    if (Math.abs(bytes / MB - size) / size < 0.1 || attempt === 2) break
    entries = Math.max(1000, Math.round((entries * (size * MB - BASE)) / Math.max(bytes - BASE, 1)))
  }
  renameSync(tmp, path)
  writeFileSync(entriesFile, String(entries))
  rmSync(tmp, { force: true })
  return { size, path, mb: statSync(path).size / MB, entries }
}

const fmt = (x, digits = 2) => (x === undefined ? '—' : x.toFixed(digits))

function printTable(f, engines, results, timeoutS) {
  console.log(
    `=== ${f.mb.toFixed(1)} MB snapshot (${f.size} MB target, ${results.leakproof?.nodes ?? results[engines[0]]?.nodes ?? '?'} nodes, ${results.leakproof?.edges ?? results[engines[0]]?.edges ?? '?'} edges)`,
  )
  const head = [
    'engine',
    'parse s',
    'parse MB/s',
    'paths s',
    'dominators+retained s',
    'parse+paths+dom s',
    'peak RSS MB',
    'RSS/file',
    '(RSS-base)/file',
  ]
  const rows = [head]
  for (const engine of engines) {
    const r = results[engine]
    const failed = r.outcome !== 'ok'
    const why = r.outcome === 'timeout' ? `timeout >${timeoutS} s` : r.outcome
    const rss = r.peakRssMb ?? r.polledPeakMb
    const row = [ENGINES[engine].label]
    const parse = r.parseSeconds
    row.push(parse === undefined ? why : fmt(parse), parse === undefined ? '—' : (f.mb / parse).toFixed(0))
    if (engine === 'v8hs') row.push('n/a', 'n/a', failed ? why : 'n/a')
    else if (engine === 'devtools') {
      // DevTools computes paths (distances), dominators and retained sizes together in buildSnapshot.
      row.push(
        'in build',
        r.buildSeconds === undefined ? (parse === undefined ? '—' : why) : `build ${fmt(r.buildSeconds)}`,
        r.buildSeconds === undefined ? (parse === undefined ? '—' : why) : fmt(parse + r.buildSeconds),
      )
    } else {
      row.push(
        r.pathsSeconds === undefined ? (parse === undefined ? '—' : why) : fmt(r.pathsSeconds),
        r.dominatorSeconds === undefined ? (r.pathsSeconds === undefined ? '—' : why) : fmt(r.dominatorSeconds),
        failed ? why : fmt(parse + r.pathsSeconds + r.dominatorSeconds),
      )
    }
    const ge = failed ? '≥' : ''
    row.push(
      rss === undefined ? '—' : `${ge}${rss}`,
      rss === undefined ? '—' : `${ge}${(rss / f.mb).toFixed(1)}×`,
      rss === undefined || r.baseRssMb === undefined ? '—' : `${ge}${((rss - r.baseRssMb) / f.mb).toFixed(1)}×`,
    )
    rows.push(row)
  }
  const widths = head.map((_, c) => Math.max(...rows.map((r) => String(r[c]).length)))
  for (const r of rows)
    console.log(
      r.map((cell, c) => (c === 0 ? String(cell).padEnd(widths[c]) : String(cell).padStart(widths[c]))).join('  '),
    )
  const lp = results.leakproof
  if (lp?.outcome === 'ok') {
    const ratios = engines
      .filter((e) => e !== 'leakproof' && results[e].outcome === 'ok')
      .map(
        (e) =>
          `${ENGINES[e].label} parse ${(results[e].parseSeconds / lp.parseSeconds).toFixed(1)}×, RSS ${(results[e].peakRssMb / lp.peakRssMb).toFixed(1)}×`,
      )
    if (ratios.length) console.log(`vs leakproof (same run): ${ratios.join('; ')}`)
  }
  for (const engine of engines)
    if (results[engine].outcome !== 'ok' && results[engine].outcome !== 'timeout')
      console.log(
        `${ENGINES[engine].label} stderr (tail): ${results[engine].stderr.trim().split('\n').slice(-3).join(' | ')}`,
      )
  console.log()
}

function printAgreement(f, engines, results) {
  const ok = engines.filter((e) => results[e].outcome === 'ok')
  console.log(`--- agreement on the ${f.mb.toFixed(1)} MB snapshot: node count, edge count, sum of self sizes`)
  const ref = results[ok[0]]
  for (const e of ok) {
    const r = results[e]
    const same = r.nodes === ref.nodes && r.edges === ref.edges && r.selfSize === ref.selfSize
    console.log(
      `${ENGINES[e].label.padEnd(32)} nodes ${String(r.nodes).padStart(9)}  edges ${String(r.edges).padStart(9)}  self sizes ${String(r.selfSize).padStart(11)}  ${same ? 'agrees' : 'DIFFERS'}`,
    )
    if (!same) {
      const types = new Set([...Object.keys(ref.types), ...Object.keys(r.types)])
      const diffs = [...types]
        .filter((t) => ref.types[t] !== r.types[t])
        .map((t) => `${t}: ${ref.types[t] ?? 0} → ${r.types[t] ?? 0}`)
      console.log(
        `  node types that differ from ${ENGINES[ok[0]].label}: ${diffs.join(', ') || 'none (same nodes; edges or sizes differ)'}`,
      )
    }
  }
  for (const e of engines.filter((e) => !ok.includes(e)))
    console.log(`${ENGINES[e].label.padEnd(32)} ${results[e].outcome}`)
  console.log()
}

const NOTES = `What each column covers:
- leakproof: parse = streaming byte scan into compact typed columns (a byte per node and edge
  type, edge targets as ordinals, strings kept as raw UTF-8) + the first-edge index; paths = the
  edge mask + BFS from the root over retaining edges; dominators = retainers over retaining edges
  + Semi-NCA + retained sizes. (The id index is built on first use; memlab builds its own here.)
- memlab: parse = utils.getSnapshotFromFile(file, { buildNodeIdIndex: true }); paths =
  TraceFinder.annotateShortestPaths; dominators = TraceFinder.calculateAllNodesRetainedSizes
  (together memlab's getFullHeapFromFile, less its React Fiber marking).
- DevTools: parse = HeapSnapshotLoader (numbers into typed arrays, strings by JSON.parse); build =
  JSHeapSnapshot initialize(): edge indexes, retainers, distances, dominators, retained sizes,
  class names, statistics, all in one call (no separate paths/dominator timing).
- v8-heapsnapshot: parse = parseSnapshotFromFile (oboe streaming JSON into plain arrays, then one
  JS object per node and per edge with in/out edge lists, a Map by id). It offers no shortest
  paths, dominators or retained sizes: only the graph, findNodeById, global and modules.`

if (process.argv[2] === '--child') {
  const [, , , engine, file] = process.argv
  await ENGINES[engine].run(file)
} else {
  await main()
}
