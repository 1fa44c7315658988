// Shared by bench/snapshot-crosscheck.mjs and bench/snapshot-engines.mjs: loading one heap
// snapshot with each engine (timed, in the calling process) and running an engine in a child
// process with its own memory limit, timeout and peak RSS.
import { spawn } from 'node:child_process'
import { createReadStream, readFileSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'

const here = dirname(fileURLToPath(import.meta.url))
export const core = join(here, '..', '..', 'packages', 'core')

export const since = (t) => +((performance.now() - t) / 1000).toFixed(2)
/** Peak RSS of this process so far, in MB (`ru_maxrss`). */
export const peakRssMb = () => Math.round(process.resourceUsage().maxRSS / 1024)

/** leakproof: the streaming parser (typed arrays; edge, retainer and id indexes built in the constructor). */
export async function leakproofLoad(file) {
  const engine = await import(join(core, 'dist', 'esm', 'index.js'))
  const t = performance.now()
  const snapshot = await engine.parseHeapSnapshot(file)
  return { engine, snapshot, parseSeconds: since(t) }
}

/** memlab: `utils.getSnapshotFromFile(file, { buildNodeIdIndex: true })`, the first step of `getFullHeapFromFile`. */
export async function memlabLoad(file) {
  const memlab = (await import('@memlab/core')).default // CommonJS
  memlab.config.muteConsole = true
  const t = performance.now()
  const heap = await memlab.utils.getSnapshotFromFile(file, { buildNodeIdIndex: true })
  return { memlab, heap, parseSeconds: since(t) }
}

/**
 * Chrome DevTools' loader as packaged by heap-snapshot-toolkit, split where DevTools splits it:
 * `HeapSnapshotLoader` reads the file (nodes/edges into typed arrays, strings by JSON.parse);
 * `buildSnapshot` is the `JSHeapSnapshot` constructor + `initialize()` (edge indexes, retainers,
 * dominators, retained sizes, distances, class names, statistics). The toolkit's `parse()` is both.
 * `onStatus(text, seconds)` gets DevTools' own progress lines.
 */
export async function devtoolsLoad(file, onStatus = () => {}) {
  const { DevToolsAPI } = await import('heap-snapshot-toolkit')
  const t0 = performance.now()
  const dispatcher = {
    sendEvent: (_type, text) => onStatus(typeof text === 'string' ? text : JSON.stringify(text), since(t0)),
  }
  const loader = new DevToolsAPI.HeapSnapshotLoader.HeapSnapshotLoader(dispatcher)
  await new Promise((resolve, reject) => {
    const stream = createReadStream(file, { encoding: 'utf-8' })
    stream
      .on('error', reject)
      .on('end', resolve)
      .on('data', (chunk) => loader.write(chunk))
  })
  loader.close()
  await loader.parsingComplete
  const parseSeconds = since(t0)
  const build = async () => {
    const t = performance.now()
    const channel = new MessageChannel() // as the toolkit's parse(): the "second worker" on this thread
    try {
      new DevToolsAPI.SecondaryInitManager(channel.port2) // eslint-disable-line no-new
      const snapshot = await loader.buildSnapshot(channel.port1)
      return { snapshot, buildSeconds: since(t) }
    } finally {
      channel.port1.close()
      channel.port2.close()
    }
  }
  return { loader, parseSeconds, build }
}

/** v8-heapsnapshot: `parseSnapshotFromFile` (oboe streaming JSON, then one JS object per node and edge). */
export async function v8HeapsnapshotLoad(file) {
  const { parseSnapshotFromFile } = (await import('v8-heapsnapshot')).default
  const t = performance.now()
  const snapshot = await parseSnapshotFromFile(file)
  return { snapshot, parseSeconds: since(t) }
}

/** VmHWM (peak resident set) of a live process from /proc, in MB; undefined once it is gone. */
function vmHwmMb(pid) {
  try {
    const m = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))
    return m ? Math.round(Number(m[1]) / 1024) : undefined
  } catch {
    return undefined
  }
}

/**
 * Runs `node [--max-old-space-size] script ...args` and collects the JSON lines it prints on stdout.
 * Never rejects: a crash, an out-of-memory abort or a timeout (SIGKILL) comes back as `outcome`.
 * The child's peak RSS is polled from /proc every 200 ms so a killed child still has one.
 */
export function runChild(script, args, { timeoutMs = 300_000, maxOldSpaceMb } = {}) {
  return new Promise((resolve) => {
    const nodeArgs = maxOldSpaceMb ? [`--max-old-space-size=${maxOldSpaceMb}`] : []
    const child = spawn(process.execPath, [...nodeArgs, script, ...args], { stdio: ['ignore', 'pipe', 'pipe'] })
    const lines = []
    let out = ''
    let err = ''
    let polledPeakMb
    let timedOut = false
    const t = performance.now()
    child.stdout.setEncoding('utf8').on('data', (d) => {
      out += d
      let nl
      while ((nl = out.indexOf('\n')) >= 0) {
        const line = out.slice(0, nl)
        out = out.slice(nl + 1)
        try {
          lines.push(JSON.parse(line))
        } catch {
          // not ours (a library's console output)
        }
      }
    })
    child.stderr.setEncoding('utf8').on('data', (d) => {
      err = (err + d).slice(-4000)
    })
    const poll = setInterval(() => {
      polledPeakMb = vmHwmMb(child.pid) ?? polledPeakMb
    }, 200)
    const timer = setTimeout(() => {
      timedOut = true
      child.kill('SIGKILL')
    }, timeoutMs)
    child.on('close', (code, signal) => {
      clearInterval(poll)
      clearTimeout(timer)
      const oom = /heap out of memory|Allocation failed|invalid array length|Array buffer allocation failed/i.test(err)
      const outcome = timedOut
        ? 'timeout'
        : oom
          ? 'out of memory'
          : code === 0
            ? 'ok'
            : `failed (${signal ?? `exit ${code}`})`
      resolve({ outcome, lines, last: lines.at(-1), stderr: err, polledPeakMb, wallSeconds: since(t) })
    })
  })
}
