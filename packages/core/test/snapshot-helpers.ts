import { execFile } from 'node:child_process'
import { existsSync, mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { promisify } from 'node:util'

export const coreRoot = join(import.meta.dirname, '..')
const fixture = join(import.meta.dirname, 'fixtures', 'snapshot', 'make-snapshots.cjs')
const builtCore = join(coreRoot, 'dist', 'cjs', 'index.js')

/**
 * Runs the known-graph fixture in a child process (a small heap: snapshots of a few MB, well under
 * a second each) and returns the directory holding before/after.heapsnapshot. The child captures
 * with the built package (a plain node process cannot load TypeScript sources).
 */
export async function makeSnapshots(
  graph: 'user-cache' | 'ring' | 'block-module' | 'detached-dom' | 'weakmap-cache' | 'vm-context',
  count: number,
  only?: 'before-only' | 'after-only',
  node = process.execPath,
): Promise<string> {
  if (!existsSync(builtCore)) throw new Error(`${builtCore} is missing: run npm run build -w @leakproof/core first`)
  const dir = mkdtempSync(join(tmpdir(), `leakproof-${graph}-`))
  await promisify(execFile)(node, [fixture, dir, graph, String(count), ...(only ? [only] : [])], {
    env: { ...process.env, LEAKPROOF_CORE: builtCore },
  })
  return dir
}
