// A process with a small heap limit and a big live heap that leaks: it captures two snapshots around
// one more run of the leak and explains it with leakproof, printing where the analysis ran.
//   node --max-old-space-size=<limit> small-heap-leak.cjs <dir> <live MB>
const { join } = require('node:path')
const v8 = require('node:v8')
const { explainLeak, writeHeapSnapshot } = require(process.env.LEAKPROOF_CORE)

const [dir, liveText] = process.argv.slice(2)
const { fillTo, leak } = require('./sessions-leak.cjs')

async function main() {
  fillTo(Number(liveText))
  const started = Date.now()
  await writeHeapSnapshot(join(dir, 'before.heapsnapshot'))
  leak(20_000)
  const captured = await writeHeapSnapshot(join(dir, 'after.heapsnapshot'))
  const captureSeconds = (Date.now() - started) / 1000
  const explanation = await explainLeak({
    before: join(dir, 'before.heapsnapshot'),
    after: join(dir, 'after.heapsnapshot'),
    root: dir,
    maxGroups: 3,
    maxPaths: 1,
  })
  const { heap_size_limit: limit } = v8.getHeapStatistics()
  console.log(
    JSON.stringify({
      heapLimitMB: Math.round(limit / 2 ** 20),
      heapUsedMB: Math.round(process.memoryUsage().heapUsed / 2 ** 20),
      snapshotMB: Math.round(captured.bytes / 2 ** 20),
      captureSeconds,
      totalSeconds: (Date.now() - started) / 1000,
      maxRssMB: Math.round(process.resourceUsage().maxRSS / 1024),
      parsedIn: explanation.parsedIn,
      text: explanation.text,
    }),
  )
}
main().catch((error) => {
  console.error(error)
  process.exit(1)
})
