// What the handle probe's async hook costs per promise, in one process: plain awaits, then with the
// hook on and no test window open, then with a window open (each resource then records the window
// that made it, so that work a finished test left running is not blamed on the next one).
//
//   node bench/async-hook-cost.mjs
import { dirname, join } from 'node:path'
import { fileURLToPath, pathToFileURL } from 'node:url'

const core = join(dirname(fileURLToPath(import.meta.url)), '../packages/core/dist/esm')
const { enableHandleProbe } = await import(pathToFileURL(join(core, 'probes/handles.js')).href)
const { openWindow, closeWindow } = await import(pathToFileURL(join(core, 'probes/window-ref.js')).href)

const N = 300_000
const ROUNDS = 5

async function awaits() {
  for (let i = 0; i < N; i++) await Promise.resolve(i)
}

async function timed(fn) {
  const start = performance.now()
  await fn()
  return performance.now() - start
}

const median = (values) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]
const plain = []
const hookOnly = []
const windowOpen = []
for (let r = 0; r < ROUNDS; r++) plain.push(await timed(awaits))
// The hook cannot be turned off again in this process: the plain rounds come first.
enableHandleProbe()
for (let r = 0; r < ROUNDS; r++) {
  hookOnly.push(await timed(awaits))
  const window = { kind: 'test', recording: true }
  openWindow(window)
  windowOpen.push(await timed(awaits))
  closeWindow(window)
}
console.log(`node ${process.version}, ${N} awaits per round, median of ${ROUNDS} rounds`)
for (const [label, times] of [
  ['plain', plain],
  ['hook, no window', hookOnly],
  ['hook, test window', windowOpen],
]) {
  const ms = median(times)
  console.log(
    `  ${label.padEnd(18)} ${ms.toFixed(0).padStart(5)} ms  ${(ms / median(plain)).toFixed(2)}×  ${(((ms - median(plain)) * 1000) / N).toFixed(2)} µs per await over plain`,
  )
}
