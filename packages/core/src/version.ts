import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { packageRoot, parseStack } from './stack.js'

/** This package's version. No `import.meta` (the package also compiles to CommonJS): found from a stack frame. */
export function toolVersion(): string {
  const here = parseStack(new Error().stack)[0]?.file ?? ''
  return (JSON.parse(readFileSync(join(packageRoot(here), 'package.json'), 'utf8')) as { version: string }).version
}
