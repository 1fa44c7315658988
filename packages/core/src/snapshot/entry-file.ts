import { existsSync } from 'node:fs'
import { join } from 'node:path'
import { packageRoot, parseStack } from '../stack.js'

/**
 * A built entry file beside this module (`explain-child.js` for a child process,
 * `analysis-thread.js` for a worker thread). This package is also compiled to CommonJS, where
 * `import.meta` does not exist, so the module finds its own file from a stack frame. Run from
 * TypeScript sources (Vitest), it is the built ESM copy.
 */
export function builtEntry(name: string): string {
  const here = parseStack(new Error().stack)[0]?.file ?? ''
  const entry = here.endsWith('.ts') ? join(packageRoot(here), 'dist', 'esm', 'snapshot', name) : join(here, '..', name)
  if (!existsSync(entry))
    throw new Error(`leakproof: ${entry} is missing; build @leakproof/core (npm run build -w @leakproof/core).`)
  return entry
}
