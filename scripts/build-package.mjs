// Builds the package in the current directory with tsc as its tsconfig says (+ declarations) and,
// with --cjs-copy, a CommonJS copy under dist/cjs for consumers that `require` an ESM package
// (the engine, loaded by Jest's environments).
import { execFileSync } from 'node:child_process'
import { mkdirSync, rmSync, writeFileSync } from 'node:fs'
import { createRequire } from 'node:module'

const require = createRequire(import.meta.url)
const tsc = require.resolve('typescript/bin/tsc')
const run = (args) => {
  try {
    execFileSync(process.execPath, [tsc, ...args], { stdio: 'inherit' })
  } catch {
    // tsc has printed its diagnostics; a stack trace of this script would only bury them.
    process.exit(1)
  }
}

rmSync('dist', { recursive: true, force: true })
run(['-p', 'tsconfig.json'])
if (process.argv.includes('--cjs-copy')) {
  run([
    '-p',
    'tsconfig.json',
    '--module',
    'commonjs',
    '--moduleResolution',
    'node10',
    '--outDir',
    'dist/cjs',
    '--composite',
    'false',
    '--incremental',
    'false',
    '--declarationMap',
    'false',
  ])
  mkdirSync('dist/cjs', { recursive: true })
  writeFileSync('dist/cjs/package.json', '{ "type": "commonjs" }\n')
}
