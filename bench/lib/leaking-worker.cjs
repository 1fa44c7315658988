// A test worker with a confirmed retained leak: `live MB` of heap (with TypeScript's compiler
// loaded, as a ts-jest worker has, when asked), then leakproof's explanation of one more run of the
// leak, as the detector asks for it (explainRetained: two snapshots around the run, then the
// analysis). Prints {"seconds", …} as its last line: from the call to the explanation in hand.
//   node leaking-worker.cjs <@leakproof/core dir> <live MB> [typescript]
const { join } = require('node:path')
const [coreDir, liveText, flavour] = process.argv.slice(2)
const { explainRetained } = require(join(coreDir, 'dist', 'cjs', 'explain-findings.js'))

// A ts-jest worker's heap holds the compiler (its code, its ASTs); a big script is also what makes
// Node 20 slow to find closure lines without primed line ends (capture.ts).
if (flavour === 'typescript') require('typescript')

const { fillTo, leak } = require('./sessions-leak.cjs')

async function main() {
  fillTo(Number(liveText))
  const started = performance.now()
  const explained = await explainRetained({ root: __dirname, keep: false, name: 'leak' }, async () => leak(20_000))
  const seconds = (performance.now() - started) / 1000
  console.log(
    JSON.stringify({
      seconds: +seconds.toFixed(2),
      heapUsedMb: Math.round(process.memoryUsage().heapUsed / 2 ** 20),
      maxRssMb: Math.round(process.resourceUsage().maxRSS / 1024),
      explained: (explained.text ?? '').includes('→ value  Object {id, user, scopes}'),
      text: explained.text ?? explained.unavailable,
    }),
  )
}
main().catch((error) => {
  console.error(error)
  process.exit(1)
})
