// What the benchmarks share: one whole framework process timed, and medians.
import { spawnSync } from 'node:child_process'

/** One whole framework process: its wall time, exit code and everything it printed. */
export function spawnRun(args, cwd, env = {}) {
  const start = performance.now()
  const result = spawnSync(process.execPath, args, {
    cwd,
    encoding: 'utf8',
    env: { ...process.env, NO_COLOR: '1', ...env },
  })
  return { ms: performance.now() - start, status: result.status, output: result.stdout + result.stderr }
}

export const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]
