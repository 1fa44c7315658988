// Builds a heap of `entries` sessions in this process and writes one snapshot of it with
// leakproof's own capture (`writeHeapSnapshot`: line ends primed, full GC, streamed to disk).
//   node make-heap.cjs <out.heapsnapshot> <entries> [<after.heapsnapshot> <more entries>]
// Prints {"bytes", "seconds", "heapUsedMb"} as its last line. With the last two arguments it then
// adds `more entries` sessions (a leak) and writes a second snapshot of the same process: a pair
// for a diff.
//
// The shape mixes what real leaks are made of: a Map keyed by unique strings holding class
// instances, each with a closure over its own context, a small array of small objects, shared
// strings, a linked `prev` chain (1000 long, the shape that makes naive dominator algorithms
// slow), a larger string every 50th entry and a typed array every 100th.
const { writeHeapSnapshot } = require(process.env.LEAKPROOF_CORE ?? '../../packages/core/dist/cjs/index.js')

const [out, entriesText, afterOut, moreText] = process.argv.slice(2)
const entries = Number(entriesText)
const CHAIN = 1000
const TAGS = ['admin', 'beta', 'eu-west', 'mobile', 'trial'].map((t) => [t])

class Session {
  constructor(id, name, prev) {
    this.id = id
    this.name = name
    this.prev = prev
    this.tags = TAGS[id % TAGS.length]
    this.items = [
      { sku: id * 3, label: `item ${id % 97}` },
      { sku: id * 3 + 1, qty: 2 },
      { sku: id * 3 + 2, qty: id % 5 },
    ]
    let hits = 0
    this.onEvent = (event) => {
      hits += 1
      return `${this.name}:${event}:${hits}`
    }
    if (id % 50 === 0) this.notes = `notes for ${name}: `.padEnd(2048, '.')
    if (id % 100 === 0) this.buffer = new Uint8Array(256).fill(id & 0xff)
  }
}

const sessions = new Map()
globalThis.__sessions = sessions
let prev
function addSessions(from, to) {
  for (let i = from; i < to; i++) {
    if (i % CHAIN === 0) prev = undefined
    const name = `user-${i}-${((i * 2654435761) >>> 0).toString(36)}`
    prev = new Session(i, name, prev)
    sessions.set(name, prev)
  }
}
addSessions(0, entries)

async function main() {
  const t = performance.now()
  const { bytes } = await writeHeapSnapshot(out)
  const seconds = +((performance.now() - t) / 1000).toFixed(1)
  if (afterOut) {
    addSessions(entries, entries + Number(moreText))
    await writeHeapSnapshot(afterOut)
  }
  console.log(JSON.stringify({ bytes, seconds, heapUsedMb: Math.round(process.memoryUsage().heapUsed / 1024 ** 2) }))
}
main().catch((error) => {
  console.error(error)
  process.exit(1)
})
