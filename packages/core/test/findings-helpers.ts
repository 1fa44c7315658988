import type { Finding, SourceLocation } from '../src/index.js'

/** Two test files' environments under `root`, held by the patch of `fs.readFile` at src/fs-retry.ts:6:34 (or `createdAt`). */
export function heldEnvironments(
  root: string,
  retainedSize: number,
  createdAt: SourceLocation = {
    file: `${root}/src/fs-retry.ts`,
    line: 6,
    column: 34,
    functionName: 'readFileWithRetry',
  },
): Finding {
  return {
    kind: 'environment',
    severity: 'error',
    files: [`${root}/tests/a.test.ts`, `${root}/tests/b.test.ts`],
    createdAt,
    retainedSize,
  }
}
