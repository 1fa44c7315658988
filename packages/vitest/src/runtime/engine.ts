import type * as Core from '@leakproof/core/worker'

/**
 * The engine, loaded by Node's own loader: once per worker, in the worker's own realm. Vitest 5's vm
 * pools (vmThreads, vmForks) evaluate every module from node_modules again inside each test file's
 * vm context, so an imported engine would wrap EventEmitter and add an async hook once per file, and
 * each of those functions would keep its file's whole context alive after the file ended: with the
 * engine imported, every file's context of a worker stayed alive; loaded here, none does. The setup
 * file and `leaks` (index.ts) take the engine from here, so tests and leakproof share one.
 * `node:module` is asked of the process: an import of it in a vm context gets Vitest's own loader.
 */
const { createRequire } = process.getBuiltinModule('node:module')
export const engine = createRequire(import.meta.url)('@leakproof/core/worker') as typeof Core
