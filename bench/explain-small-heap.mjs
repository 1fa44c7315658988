// Issue 5's memory requirement, measured: a process whose heap limit leaves little room (200 MB live
// in a 320 MB heap) explains its own leak without running out of memory, because leakproof parses
// the snapshots in a child process when they would not fit (where-to-parse.ts).
//   node bench/explain-small-heap.mjs            (LIVE_MB=200 LIMIT_MB=320 by default)
import { execFileSync } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { dirname, join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'

const here = dirname(fileURLToPath(import.meta.url))
const live = Number(process.env.LIVE_MB ?? 200)
const limit = Number(process.env.LIMIT_MB ?? 320)
const dir = mkdtempSync(join(tmpdir(), 'leakproof-small-heap-'))
try {
  const out = execFileSync(
    process.execPath,
    [`--max-old-space-size=${limit}`, join(here, 'lib/small-heap-leak.cjs'), dir, String(live)],
    {
      encoding: 'utf8',
      env: { ...process.env, LEAKPROOF_CORE: resolve(here, '../packages/core/dist/cjs/index.js') },
      maxBuffer: 16 * 1024 * 1024,
    },
  )
  const r = JSON.parse(out.trim().split('\n').at(-1))
  console.log(
    `node ${process.version}: ${r.heapUsedMB} MB live in a ${r.heapLimitMB} MB heap, snapshots of ${r.snapshotMB} MB`,
  )
  console.log(
    `  capture of both: ${r.captureSeconds.toFixed(1)} s; capture + explain: ${r.totalSeconds.toFixed(1)} s; peak RSS of the process: ${r.maxRssMB} MB`,
  )
  console.log(`  parsed in: ${r.parsedIn.where} (${r.parsedIn.reason})`)
  console.log(r.text.split('\n').slice(0, 4).join('\n'))
  if (!r.text.includes('→ value  Object {id, user, scopes}'))
    throw new Error('the explanation does not name the leaking objects')
} finally {
  rmSync(dir, { recursive: true, force: true })
}
