// leakproof on a real project's own suite: plain runs and leakproof runs of the same tests,
// alternated round by round, each a whole framework process; then what leakproof failed that
// passed plainly. Works inside the given checkout; copies nothing of it into this repository.
//
//   node bench/real-suite.mjs <checkout-dir> [--framework vitest|jest] [--rounds N] [--config path]
//        [--out result.json] [--no-build] [--timeout seconds] [--label name] [--leakproof <monorepo>]
//        [-- <args for the framework>]
//
//   --leakproof <dir>  build and pack the packages of another copy of this monorepo (e.g. an export of
//                      a commit: `git archive HEAD | tar -x -C <dir>`), default: this one
//   --no-build         pack the packages' dist/ as it is
//   --timeout s        a run still going after s seconds (default 1800) is killed and counted as it is
//
// What it does in <checkout-dir>:
//   - builds this monorepo (`npx turbo run build`, unless --no-build), packs @leakproof/core and the
//     framework's adapter with `npm pack`, installs the tarballs in a scratch project and copies them
//     into the checkout's node_modules/@leakproof (see placePackages)
//     (skipped when the tarballs' hashes match the ones installed last time);
//   - writes a sibling config next to the project's own (vitest.leakproof.config.mjs or
//     jest.leakproof.config.<ext>) that imports the project's config and adds leakproof the way the
//     README's quick start says; the project's config file is not touched;
//   - keeps every run's output and JSON report in <checkout-dir>/.leakproof-bench/.
import { spawn, spawnSync } from 'node:child_process'
import { createHash } from 'node:crypto'
import {
  cpSync,
  createWriteStream,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  readdirSync,
  rmSync,
  writeFileSync,
} from 'node:fs'
import { tmpdir } from 'node:os'
import { basename, dirname, extname, join, relative, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'

const here = dirname(fileURLToPath(import.meta.url))
// The monorepo whose packages are built and packed: this one, or another copy of it (--leakproof).
let repo = resolve(here, '..')

// ---------------------------------------------------------------- arguments
function parseArgs(argv) {
  const opts = { rounds: 1, build: true, timeout: 1800, extra: [] }
  const rest = []
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]
    const value = () => {
      if (a.includes('=')) return a.slice(a.indexOf('=') + 1)
      if (i + 1 >= argv.length) throw new Error(`${a} needs a value`)
      return argv[++i]
    }
    const name = a.split('=')[0]
    if (a === '--') {
      opts.extra = argv.slice(i + 1)
      break
    } else if (name === '--framework') opts.framework = value()
    else if (name === '--rounds') opts.rounds = Number(value())
    else if (name === '--config') opts.config = value()
    else if (name === '--out') opts.out = value()
    else if (name === '--timeout') opts.timeout = Number(value())
    else if (name === '--label') opts.label = value()
    else if (name === '--leakproof') opts.leakproof = resolve(value())
    else if (a === '--no-build') opts.build = false
    else if (a === '-h' || a === '--help') {
      console.log(readFileSync(fileURLToPath(import.meta.url), 'utf8').split('\nimport ')[0])
      process.exit(0)
    } else if (a.startsWith('--')) throw new Error(`unknown option ${a}`)
    else rest.push(a)
  }
  if (rest.length !== 1)
    throw new Error(
      'usage: node bench/real-suite.mjs <checkout-dir> [--framework vitest|jest] [--rounds N] [--config path] [--out file] [-- framework args]',
    )
  opts.dir = resolve(rest[0])
  if (!Number.isInteger(opts.rounds) || opts.rounds < 1) throw new Error('--rounds must be a positive integer')
  if (opts.framework && !['vitest', 'jest'].includes(opts.framework)) throw new Error('--framework is vitest or jest')
  return opts
}

// ---------------------------------------------------------------- detection
const VITEST_CONFIGS = [
  'vitest.config.ts',
  'vitest.config.mts',
  'vitest.config.cts',
  'vitest.config.js',
  'vitest.config.mjs',
  'vitest.config.cjs',
  'vite.config.ts',
  'vite.config.mts',
  'vite.config.cts',
  'vite.config.js',
  'vite.config.mjs',
  'vite.config.cjs',
]
const JEST_CONFIGS = [
  'jest.config.js',
  'jest.config.ts',
  'jest.config.mjs',
  'jest.config.cjs',
  'jest.config.mts',
  'jest.config.cts',
  'jest.config.json',
]

function detect(opts) {
  const pkg = JSON.parse(readFileSync(join(opts.dir, 'package.json'), 'utf8'))
  let framework = opts.framework
  let config = opts.config ? resolve(opts.dir, opts.config) : undefined
  if (!framework && config) framework = /jest/.test(basename(config)) ? 'jest' : 'vitest'
  if (!framework) {
    if (VITEST_CONFIGS.slice(0, 6).some((f) => existsSync(join(opts.dir, f)))) framework = 'vitest'
    else if (JEST_CONFIGS.some((f) => existsSync(join(opts.dir, f))) || pkg.jest) framework = 'jest'
    else if (existsSync(join(opts.dir, 'node_modules/vitest'))) framework = 'vitest'
    else if (existsSync(join(opts.dir, 'node_modules/jest'))) framework = 'jest'
    else throw new Error('cannot tell the framework: pass --framework')
  }
  if (!config) {
    const names = framework === 'vitest' ? VITEST_CONFIGS : JEST_CONFIGS
    const found = names.find((f) => existsSync(join(opts.dir, f)))
    if (found) config = join(opts.dir, found)
    else if (framework === 'jest' && pkg.jest) config = join(opts.dir, 'package.json') // the "jest" key
  }
  const bin =
    framework === 'vitest'
      ? join(opts.dir, 'node_modules/vitest/vitest.mjs')
      : join(opts.dir, 'node_modules/jest/bin/jest.js')
  if (!existsSync(bin)) throw new Error(`${bin} is missing: install the project first (npm install)`)
  const version = JSON.parse(readFileSync(join(opts.dir, `node_modules/${framework}/package.json`), 'utf8')).version
  return { framework, config, bin, version }
}

// ---------------------------------------------------------------- leakproof packages
function run(cmd, args, cwd, what) {
  const r = spawnSync(cmd, args, { cwd, encoding: 'utf8', maxBuffer: 64 << 20 })
  if (r.status !== 0)
    throw Object.assign(
      new Error(`${what} failed (exit ${r.status}):\n${(r.stdout ?? '') + (r.stderr ?? '')}`.slice(0, 8000)),
      { output: (r.stdout ?? '') + (r.stderr ?? '') },
    )
  return r.stdout
}

function installLeakproof(dir, framework, build) {
  if (build) {
    process.stderr.write('building leakproof (npx turbo run build) … ')
    run('npx', ['turbo', 'run', 'build', '--output-logs=errors-only'], repo, 'build')
    process.stderr.write('done\n')
  }
  const packDir = mkdtempSync(join(tmpdir(), 'leakproof-real-suite-'))
  const tarballs = []
  for (const pkg of ['core', framework]) {
    const out = run(
      'npm',
      ['pack', '--silent', '--pack-destination', packDir],
      join(repo, 'packages', pkg),
      `npm pack ${pkg}`,
    )
    tarballs.push(join(packDir, out.trim().split('\n').pop()))
  }
  const hash = createHash('sha256')
  for (const t of tarballs) hash.update(readFileSync(t))
  const digest = hash.digest('hex').slice(0, 16)
  const marker = join(dir, 'node_modules/.leakproof-real-suite.json')
  const installed = existsSync(marker) && JSON.parse(readFileSync(marker, 'utf8'))
  const present =
    existsSync(join(dir, 'node_modules/@leakproof/core/package.json')) &&
    existsSync(join(dir, `node_modules/@leakproof/${framework}/package.json`))
  if (installed && installed.hash === digest && present) {
    process.stderr.write(`leakproof tarballs ${digest} already installed in ${dir}\n`)
  } else {
    process.stderr.write(`installing leakproof tarballs ${digest} in ${dir} … `)
    placePackages(tarballs, dir, framework, packDir)
    writeFileSync(
      marker,
      JSON.stringify(
        { hash: digest, tarballs: tarballs.map((t) => basename(t)), at: new Date().toISOString() },
        null,
        2,
      ),
    )
    process.stderr.write('done\n')
  }
  rmSync(packDir, { recursive: true, force: true })
  return digest
}

/**
 * The tarballs go into a scratch project of their own, and what that made is copied into the
 * checkout: `npm install` in the checkout itself would reify the project's whole tree, which npm
 * cannot do for a pnpm or yarn workspace (`"h3": "workspace:*"`: EUNSUPPORTEDPROTOCOL) and should not
 * do over pnpm's layout. Peers (the framework) are not installed there (`--legacy-peer-deps`): the
 * copied packages find the checkout's own by Node's lookup up the folders. Their own dependencies
 * (picocolors, @jridgewell/*) are nested in each copied package.
 */
function placePackages(tarballs, dir, framework, scratchParent) {
  const scratch = join(scratchParent, 'install')
  mkdirSync(scratch)
  writeFileSync(join(scratch, 'package.json'), '{ "private": true }')
  const args = ['install', '--no-audit', '--no-fund', '--ignore-scripts', '--legacy-peer-deps', '--loglevel=error']
  run('npm', [...args, ...tarballs], scratch, 'npm install (scratch)')
  const scratchModules = join(scratch, 'node_modules')
  const dependencies = readdirSync(scratchModules).filter((name) => name !== '@leakproof' && !name.startsWith('.'))
  for (const pkg of ['core', framework]) {
    const to = join(dir, 'node_modules/@leakproof', pkg)
    rmSync(to, { recursive: true, force: true })
    cpSync(join(scratchModules, '@leakproof', pkg), to, { recursive: true })
    for (const name of dependencies)
      cpSync(join(scratchModules, name), join(to, 'node_modules', name), { recursive: true })
  }
}

// ---------------------------------------------------------------- sibling configs
const spec = (from, to) => {
  const r = relative(dirname(from), to).split('\\').join('/')
  return r.startsWith('.') ? r : `./${r}`
}

/** vitest.leakproof.config.mjs beside the project's config: their config, merged with the plugin. */
function writeVitestConfig(dir, config) {
  const target = join(config ? dirname(config) : dir, 'vitest.leakproof.config.mjs')
  const base = config ? `import * as theirs from '${spec(target, config)}'` : 'const theirs = { default: {} }'
  writeFileSync(
    target,
    `// Written by leakproof's bench/real-suite.mjs: the project's own config plus plugins: [leakproof()].
import { mergeConfig } from 'vitest/config'
import leakproof from '@leakproof/vitest'
${base}

const withPlugin = (c) => mergeConfig(c, { plugins: [leakproof()] })

/** Inline projects that do not extend the root config do not get its plugins: give them theirs. */
function projects(config) {
  const list = config?.test?.projects ?? config?.test?.workspace
  if (!Array.isArray(list)) return config
  const mapped = list.map((p) => {
    if (typeof p === 'string') { console.warn('[real-suite] project ' + p + ' is a path: leakproof reaches it only if it extends the root config'); return p }
    if (typeof p === 'function' || p == null || p.extends === true) return p
    return withPlugin(p)
  })
  return { ...config, test: { ...config.test, ...(config.test.projects ? { projects: mapped } : { workspace: mapped }) } }
}

export default async (env) => {
  const exported = theirs.default ?? theirs
  const config = await (typeof exported === 'function' ? exported(env) : exported)
  return withPlugin(projects(config ?? {}))
}
`,
  )
  return target
}

/**
 * jest.leakproof.config.<ext> beside the project's config: their config with leakproof's
 * environment (per project too) and reporter. Written in the same language as theirs, so Jest
 * loads it the way it loads theirs (a .ts config through the same TypeScript loader).
 */
function writeJestConfig(dir, config) {
  const rootDir = config ? dirname(config) : dir
  const leakDir = join(rootDir, '.leakproof-bench')
  mkdirSync(leakDir, { recursive: true })
  let ext = config ? extname(config) : '.cjs'
  if (ext === '.json') ext = '.cjs'
  const target = join(rootDir, `jest.leakproof.config${ext}`)
  const pkgType = JSON.parse(readFileSync(join(rootDir, 'package.json'), 'utf8')).type
  const moduleJs = ext === '.mjs' || (ext === '.js' && pkgType === 'module')
  const esm = moduleJs || ext === '.ts' || ext === '.mts' || ext === '.cts'
  const fromPackageJson = config && basename(config) === 'package.json'
  const load = !config
    ? 'const theirs = {}'
    : fromPackageJson
      ? esm
        ? `import pkg from './package.json' with { type: 'json' }\nconst theirs = pkg.jest`
        : `const theirs = require('./package.json').jest`
      : extname(config) === '.json'
        ? `const theirs = require('${spec(target, config)}')`
        : esm
          ? `import * as theirs from '${spec(target, config).replace(/\.(ts|mts|cts)$/, '')}'`
          : `const theirs = require('${spec(target, config)}')`
  const body = `
const { createRequire } = require('node:module')
const { writeFileSync } = require('node:fs')
const { join } = require('node:path')

const here = ${JSON.stringify(rootDir)}
const wrappers = ${JSON.stringify(leakDir)}
const builtins = {
  undefined: '@leakproof/jest/node',
  node: '@leakproof/jest/node',
  'jest-environment-node': '@leakproof/jest/node',
  jsdom: '@leakproof/jest/jsdom',
  'jest-environment-jsdom': '@leakproof/jest/jsdom',
}

/** Their environment, as leakproof's: a built-in by name, their own class wrapped with withLeakproof(). */
function environment(env, rootDir) {
  if (env === undefined || builtins[env]) return builtins[String(env)]
  if (String(env).startsWith('@leakproof/')) return env
  const base = (rootDir ?? here).replace(/<rootDir>/g, here)
  const name = env.replace(/<rootDir>/g, base)
  const req = createRequire(join(base, 'package.json'))
  let resolved
  for (const candidate of [name, 'jest-environment-' + name]) {
    try { resolved = req.resolve(candidate); break } catch {}
  }
  if (!resolved) throw new Error('[real-suite] cannot resolve testEnvironment ' + env)
  const file = join(wrappers, 'env-' + Buffer.from(resolved).toString('hex').slice(-40) + '.cjs')
  writeFileSync(file, [
    "// Written by leakproof's bench/real-suite.mjs: the project's environment, wrapped.",
    "const { withLeakproof } = require('@leakproof/jest')",
    'const m = require(' + JSON.stringify(resolved) + ')',
    'module.exports = withLeakproof(m.TestEnvironment ?? m.default ?? m)',
    '',
  ].join('\\n'))
  return file
}

async function leakproofConfig(exported) {
  const config = { ...(await (typeof exported === 'function' ? exported() : exported)) }
  config.testEnvironment = environment(config.testEnvironment, config.rootDir)
  if (Array.isArray(config.projects)) {
    config.projects = config.projects.map((p) => {
      if (typeof p === 'string') { console.warn('[real-suite] project ' + p + ' is a path: its environment is left as it is'); return p }
      return { ...p, testEnvironment: environment(p.testEnvironment ?? config.testEnvironment, p.rootDir ?? config.rootDir) }
    })
  }
  const reporters = config.reporters ?? ['default']
  config.reporters = [...reporters, '@leakproof/jest/reporter']
  return config
}
`
  const header =
    "// Written by leakproof's bench/real-suite.mjs: the project's own config with leakproof's environment and reporter.\n"
  let text
  if (esm && !moduleJs) {
    // TypeScript: Jest compiles it to CommonJS (ts-node), so require works inside.
    text = `${header}// @ts-nocheck\n${load}\n${body}\nexport default () => leakproofConfig((theirs as any).default ?? theirs)\n`
  } else if (moduleJs) {
    text = `${header}${load}\nimport { createRequire as cr } from 'node:module'\nconst require = cr(import.meta.url)\n${body}\nexport default () => leakproofConfig(theirs.default ?? theirs)\n`
  } else {
    text = `${header}${load}\n${body}\nmodule.exports = () => leakproofConfig(theirs.default ?? theirs)\n`
  }
  writeFileSync(target, text)
  return target
}

// ---------------------------------------------------------------- runs
function timedRun(bin, args, cwd, logFile, timeoutS) {
  return new Promise((done) => {
    const log = createWriteStream(logFile)
    const start = performance.now()
    const child = spawn(process.execPath, [bin, ...args], {
      cwd,
      detached: true,
      env: { ...process.env, NO_COLOR: '1', FORCE_COLOR: '0', CI: 'true' },
    })
    child.stdout.pipe(log, { end: false })
    child.stderr.pipe(log, { end: false })
    let timedOut = false
    const timer = setTimeout(() => {
      timedOut = true
      try {
        process.kill(-child.pid, 'SIGKILL')
      } catch {}
    }, timeoutS * 1000)
    child.on('close', (code, signal) => {
      clearTimeout(timer)
      const ms = performance.now() - start
      log.end(() => done({ ms, code, signal, timedOut }))
    })
  })
}

function runArgs(framework, config, jsonFile, extra) {
  if (framework === 'vitest')
    return ['run', ...(config ? ['--config', config] : []), '--reporter=json', `--outputFile=${jsonFile}`, ...extra]
  return [...(config ? ['--config', config] : []), '--json', `--outputFile=${jsonFile}`, ...extra]
}

/** Every test of a Vitest or Jest JSON report (the same shape), keyed file > full name. */
function readReport(file, dir) {
  if (!existsSync(file)) return null
  let report
  try {
    report = JSON.parse(readFileSync(file, 'utf8'))
  } catch {
    return null
  }
  const tests = new Map()
  const fileErrors = []
  for (const suite of report.testResults ?? []) {
    const rel = relative(dir, suite.name ?? suite.testFilePath ?? '')
    if (
      suite.status === 'failed' &&
      suite.message &&
      !(suite.assertionResults ?? []).some((t) => t.status === 'failed')
    )
      fileErrors.push({ file: rel, message: firstLines(suite.message, 6) })
    const seen = new Map()
    for (const t of suite.assertionResults ?? []) {
      const name = t.fullName ?? [...(t.ancestorTitles ?? []), t.title].join(' ')
      let key = `${rel} > ${name}`
      const n = (seen.get(key) ?? 0) + 1
      seen.set(key, n)
      if (n > 1) key += ` #${n}`
      tests.set(key, { status: t.status, message: (t.failureMessages ?? []).join('\n') })
    }
  }
  return { tests, fileErrors, success: report.success, total: report.numTotalTests }
}

function firstLines(text, n) {
  return String(text)
    .replace(/\x1b\[[0-9;]*m/g, '')
    .split('\n')
    .map((l) => l.trimEnd())
    .filter((l) => l.trim())
    .slice(0, n)
    .join('\n')
}

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b)
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2
}

/** What leakproof's reporter said at the end of a run (its summary table), from the run's output. */
function leakproofSummary(logFile) {
  const text = readFileSync(logFile, 'utf8').replace(/\x1b\[[0-9;]*m/g, '')
  const lines = text.split('\n')
  const at = lines.findIndex((l) => /^leakproof: \d+ (leaking|notes?)|^leakproof: /.test(l))
  return at === -1 ? [] : lines.slice(at, at + 40).filter((l) => l.trim())
}

/** The commit the packed packages come from: git's HEAD, or a .leakproof-commit file in an export. */
function leakproofCommit() {
  const head = spawnSync('git', ['-C', repo, 'rev-parse', '--short=12', 'HEAD'], { encoding: 'utf8' })
  if (head.status === 0 && existsSync(join(repo, '.git'))) return head.stdout.trim()
  const file = join(repo, '.leakproof-commit')
  return existsSync(file) ? readFileSync(file, 'utf8').trim().slice(0, 12) + ' (export)' : 'unknown'
}
/** Whether packages/ had changes not yet committed (the build then is not the commit's). */
function leakproofDirty() {
  if (!existsSync(join(repo, '.git'))) return false
  const st = spawnSync('git', ['-C', repo, 'status', '--porcelain', '--', 'packages'], { encoding: 'utf8' })
  return st.status === 0 ? st.stdout.trim().length > 0 : null
}

// ---------------------------------------------------------------- main
async function main() {
  const opts = parseArgs(process.argv.slice(2))
  if (opts.leakproof) repo = opts.leakproof
  const label = opts.label ?? basename(opts.dir)
  const { framework, config, bin, version } = detect(opts)
  const commit = spawnSync('git', ['-C', opts.dir, 'rev-parse', 'HEAD'], { encoding: 'utf8' }).stdout.trim() || null
  const digest = installLeakproof(opts.dir, framework, opts.build)
  const leakConfig = framework === 'vitest' ? writeVitestConfig(opts.dir, config) : writeJestConfig(opts.dir, config)
  // Plain runs name the project's config explicitly too (package.json's "jest" key: Jest finds it itself).
  const plainConfig = config && basename(config) !== 'package.json' ? config : undefined
  const work = join(opts.dir, '.leakproof-bench')
  mkdirSync(work, { recursive: true })
  for (const f of readdirSync(work)) if (/^round-\d+-(plain|leakproof)\.(log|json)$/.test(f)) rmSync(join(work, f))
  process.stderr.write(
    `${label}: ${framework} ${version}, config ${config ? relative(opts.dir, config) : '(none)'} → ${relative(opts.dir, leakConfig)}, ${opts.rounds} round(s)\n`,
  )

  const rounds = []
  for (let r = 1; r <= opts.rounds; r++) {
    const round = {}
    for (const mode of ['plain', 'leakproof']) {
      const jsonFile = join(work, `round-${r}-${mode}.json`)
      const logFile = join(work, `round-${r}-${mode}.log`)
      const args = runArgs(framework, mode === 'plain' ? plainConfig : leakConfig, jsonFile, opts.extra)
      process.stderr.write(`  round ${r} ${mode.padEnd(9)} … `)
      const result = await timedRun(bin, args, opts.dir, logFile, opts.timeout)
      const report = readReport(jsonFile, opts.dir)
      round[mode] = { ...result, report, logFile, jsonFile }
      process.stderr.write(
        `${(result.ms / 1000).toFixed(1)} s, exit ${result.code ?? result.signal}${result.timedOut ? ' (timed out)' : ''}, ${report ? `${report.tests.size} tests` : 'no JSON report'}\n`,
      )
    }
    rounds.push(round)
  }

  // Verdicts over all rounds: a test is blamed on leakproof only if it passed in every plain round.
  const plainReports = rounds.map((r) => r.plain.report).filter(Boolean)
  const leakReports = rounds.map((r) => r.leakproof.report).filter(Boolean)
  const names = new Set(plainReports.flatMap((r) => [...r.tests.keys()]))
  const plainFailures = []
  const leakproofFailures = []
  const missing = []
  let ran = 0
  let passedPlainly = 0
  for (const name of names) {
    const plain = plainReports.map((r) => r.tests.get(name)?.status)
    if (plain.some((s) => s === 'passed' || s === 'failed')) ran++
    if (plain.some((s) => s === 'failed')) {
      plainFailures.push({
        test: name,
        plainFailedRounds: plain.filter((s) => s === 'failed').length,
        message: firstLines(plainReports.map((r) => r.tests.get(name)).find((t) => t?.status === 'failed').message, 4),
      })
      continue
    }
    if (!plain.every((s) => s === 'passed')) continue
    passedPlainly++
    const leak = leakReports.map((r) => r.tests.get(name))
    const failed = leak.filter((t) => t?.status === 'failed')
    if (failed.length)
      leakproofFailures.push({
        test: name,
        failedRounds: failed.length,
        rounds: leakReports.length,
        message: firstLines(failed[0].message, 8),
      })
    else if (leak.some((t) => !t || t.status !== 'passed'))
      missing.push({ test: name, statuses: leak.map((t) => t?.status ?? 'absent') })
  }
  const plainS = rounds.map((r) => r.plain.ms / 1000)
  const leakS = rounds.map((r) => r.leakproof.ms / 1000)
  const ratio = median(rounds.map((r) => r.leakproof.ms / r.plain.ms))
  const fileErrors = {
    plain: [...new Map(plainReports.flatMap((r) => r.fileErrors).map((e) => [e.file, e])).values()],
    leakproof: [...new Map(leakReports.flatMap((r) => r.fileErrors).map((e) => [e.file, e])).values()],
  }
  const lastLeak = rounds.at(-1).leakproof
  const result = {
    label,
    dir: opts.dir,
    commit,
    framework,
    frameworkVersion: version,
    node: process.version,
    config: config ? relative(opts.dir, config) : null,
    leakproofConfig: relative(opts.dir, leakConfig),
    extraArgs: opts.extra,
    leakproofTarballs: digest,
    leakproofCommit: leakproofCommit(),
    leakproofDirty: leakproofDirty(),
    rounds: rounds.map((r, i) => ({
      round: i + 1,
      plain: {
        s: +(r.plain.ms / 1000).toFixed(2),
        exit: r.plain.code ?? r.plain.signal,
        timedOut: r.plain.timedOut,
        tests: r.plain.report?.tests.size ?? null,
        log: r.plain.logFile,
      },
      leakproof: {
        s: +(r.leakproof.ms / 1000).toFixed(2),
        exit: r.leakproof.code ?? r.leakproof.signal,
        timedOut: r.leakproof.timedOut,
        tests: r.leakproof.report?.tests.size ?? null,
        log: r.leakproof.logFile,
      },
    })),
    testsRun: ran,
    plainS: +median(plainS).toFixed(2),
    leakproofS: +median(leakS).toFixed(2),
    ratio: +ratio.toFixed(2),
    leakproofFailures,
    plainFailures,
    notRunUnderLeakproof: missing,
    fileErrors,
    leakproofReport: leakproofSummary(lastLeak.logFile),
  }

  // ------------------------------------------------------------ printout
  const out = []
  out.push(
    `\n${label} @ ${commit?.slice(0, 12) ?? '?'}  (${framework} ${version}, node ${process.version}, leakproof ${result.leakproofCommit}${result.leakproofDirty ? ' + uncommitted changes' : ''} tarballs ${digest})`,
  )
  for (const r of result.rounds)
    out.push(
      `  round ${r.round}: plain ${r.plain.s.toFixed(1)} s (exit ${r.plain.exit}), leakproof ${r.leakproof.s.toFixed(1)} s (exit ${r.leakproof.exit})`,
    )
  out.push(
    `  tests run ${ran}, plain ${result.plainS.toFixed(1)} s, leakproof ${result.leakproofS.toFixed(1)} s, ratio ${result.ratio.toFixed(2)}× (median over ${rounds.length} round(s))`,
  )
  out.push(`\n  passed plainly, failed with leakproof: ${leakproofFailures.length}`)
  for (const f of leakproofFailures) {
    out.push(`  ✗ ${f.test}${rounds.length > 1 ? `  (failed ${f.failedRounds}/${f.rounds} rounds)` : ''}`)
    for (const l of f.message.split('\n')) out.push(`      ${l}`)
  }
  if (missing.length) {
    out.push(`\n  passed plainly, not passed nor failed with leakproof (skipped, absent): ${missing.length}`)
    for (const m of missing.slice(0, 20)) out.push(`    ${m.test}: ${m.statuses.join(', ')}`)
  }
  if (fileErrors.leakproof.length || fileErrors.plain.length) {
    out.push('\n  file-level errors (not tied to a test):')
    for (const mode of ['plain', 'leakproof'])
      for (const e of fileErrors[mode]) out.push(`    [${mode}] ${e.file}: ${e.message.split('\n')[0]}`)
  }
  out.push(`\n  failed plainly (not blamed on leakproof): ${plainFailures.length}`)
  for (const f of plainFailures.slice(0, 30)) out.push(`    ${f.test}: ${f.message.split('\n')[0]}`)
  if (plainFailures.length > 30) out.push(`    … and ${plainFailures.length - 30} more (see the JSON result)`)
  if (result.leakproofReport.length) {
    out.push(`\n  leakproof's own report (last round):`)
    for (const l of result.leakproofReport.slice(0, 25)) out.push(`    ${l}`)
  }
  out.push(
    `\nSUMMARY ${label}: ${framework} ${version}, ${ran} tests, plain ${result.plainS.toFixed(1)} s, leakproof ${result.leakproofS.toFixed(1)} s, ratio ${result.ratio.toFixed(2)}×, ${leakproofFailures.length} failed only with leakproof, ${plainFailures.length} failed plainly`,
  )
  // None of what passed plainly ran with leakproof (a startup error: a framework version leakproof
  // refuses, a config it cannot use): there is no ratio to give, only the error in the runs' logs.
  const noneRan = passedPlainly > 0 && (leakReports.length === 0 || missing.length === passedPlainly)
  if (noneRan)
    out.push(
      `NO RATIO: none of the ${passedPlainly} tests that passed plainly ran with leakproof; see ${relative(process.cwd(), rounds.at(-1).leakproof.logFile)}`,
    )
  console.log(out.join('\n'))
  if (noneRan) process.exitCode = 1
  if (opts.out) {
    mkdirSync(dirname(resolve(opts.out)), { recursive: true })
    writeFileSync(resolve(opts.out), JSON.stringify(result, null, 2) + '\n')
    console.log(`result written to ${resolve(opts.out)}`)
  }
}

main().catch((error) => {
  console.error(error.stack ?? error)
  process.exit(1)
})
