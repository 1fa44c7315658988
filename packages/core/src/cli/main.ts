#!/usr/bin/env node
// The `leakproof` bin: the real process around run.ts.
import { run } from './run.js'

process.stdout.on('error', (error: NodeJS.ErrnoException) => {
  // `leakproof diff … | head`: the reader left; there is nobody to tell.
  if (error.code === 'EPIPE') process.exit(0)
  throw error
})

run(process.argv.slice(2), {
  stdout: process.stdout,
  stderr: process.stderr,
  env: process.env,
  cwd: process.cwd(),
}).then((code) => {
  process.exitCode = code
})
