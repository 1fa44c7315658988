import { readFileSync, realpathSync } from 'node:fs'
import { createRequire } from 'node:module'
import { join, sep } from 'node:path'
import { fileURLToPath } from 'node:url'
import {
  loadBaseline,
  packageRoot,
  registerFrameworkCode,
  resolveOptions,
  unsupportedHost,
  type LeakproofOptions,
  type ResolvedOptions,
} from '@leakproof/core'
import type { Plugin } from 'vite'
import type { ViteUserConfig } from 'vitest/config'
import { OPTIONS_KEY } from '../shared.js'
import { LeakproofReporter } from './reporter.js'

const setupFile = fileURLToPath(new URL('../runtime/setup.js', import.meta.url))
registerFrameworkCode([packageRoot(setupFile)])

/**
 * The engine must be loaded once per worker by Node itself, not re-evaluated by Vite's module
 * runner for each test file: its probes patch process-wide objects (EventEmitter, async hooks).
 * Installed from npm it is external already; from a workspace symlink Vite would inline it.
 */
function engineDirectory(): RegExp {
  const dir = packageRoot(realpathSync(createRequire(import.meta.url).resolve('@leakproof/core')))
  // Vitest reads a string here as a package name under node_modules; a RegExp matches the path.
  return new RegExp(`^${(dir + sep).replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}`)
}

/** The Vitest this plugin runs under, against the versions its package.json supports. */
function checkVitestVersion(): void {
  const require = createRequire(import.meta.url)
  const own = JSON.parse(readFileSync(join(packageRoot(setupFile), 'package.json'), 'utf8')) as {
    name: string
    peerDependencies: { vitest: string }
  }
  let version: string
  try {
    version = (require('vitest/package.json') as { version: string }).version
  } catch {
    // Not found from here (an unusual layout): a version that cannot be read is not checked.
    return
  }
  const unsupported = unsupportedHost(own.name, 'Vitest', version, own.peerDependencies.vitest)
  if (unsupported) throw unsupported
}

/**
 * `plugins: [leakproof(options)]` in vitest.config.ts. Options are checked here, in the main
 * process, so a bad one stops the run before any test starts; so is the Vitest version.
 */
export function leakproof(options: LeakproofOptions = {}): Plugin {
  checkVitestVersion()
  const resolved: ResolvedOptions = resolveOptions(options)
  const engine = engineDirectory()
  return {
    name: 'leakproof',
    // Runs once per project: one reporter for the whole run.
    configureVitest({ vitest, project }) {
      // A baseline file that cannot be read stops the run here, naming the file, before any test.
      loadBaseline(vitest.config.root, resolved.baseline)
      if (!vitest.config.reporters.some((r) => r instanceof LeakproofReporter))
        vitest.config.reporters.push(new LeakproofReporter(resolved, vitest) as never)
      // Vitest 5 gives inline projects (`test.projects` with `extends: true`) the plugin's Vite
      // settings but not the `test` settings its `config()` returns: each project gets them here.
      const config = project.config as unknown as {
        setupFiles: string[]
        includeTaskLocation?: boolean
        server: { deps: { external?: Array<string | RegExp> } }
      }
      if (!config.setupFiles.includes(setupFile)) config.setupFiles.push(setupFile)
      config.includeTaskLocation = true
      const external = (config.server.deps.external ??= [])
      if (!external.some((e) => e instanceof RegExp && e.source === engine.source)) external.push(engine)
      ;(project.provide as (key: string, value: unknown) => void)(OPTIONS_KEY, resolved)
    },
    config(): ViteUserConfig {
      return {
        // Under `environment: 'jsdom' | 'happy-dom'` Vite serves the setup file through its client
        // environment, which only reads files under `server.fs.allow`: allow this package even when
        // it lives outside the project (a workspace symlink, a global install).
        server: { fs: { allow: [packageRoot(setupFile)] } },
        test: {
          setupFiles: [setupFile],
          // The report points at each leaking test's line (GitHub annotations, the JSON report).
          includeTaskLocation: true,
          provide: { [OPTIONS_KEY]: resolved },
          server: { deps: { external: [engine] } },
        },
      }
    },
  }
}
