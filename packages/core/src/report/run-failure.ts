import type { TestReport } from './model.js'

/**
 * The error that fails a run for leaks no test result carries: test files whose environment stayed
 * alive are found after those files' results went out (one file later, see environments.ts), so
 * the host fails the run itself (Jest: a reporter's error; Vitest: the exit code). Undefined when
 * there are none, or when the baseline knows them.
 */
export function runFailure(tests: readonly TestReport[]): Error | undefined {
  const files = tests
    .filter((t) => t.verdict === 'leak')
    .flatMap((t) => t.findings.filter((f) => f.kind === 'environment' && f.severity === 'error'))
    .flatMap((f) => (f.kind === 'environment' ? f.files : []))
  if (files.length === 0) return undefined
  return new Error(
    `leakproof: ${files.length === 1 ? "1 test file's environment" : `${files.length} test files' environments`} stayed alive after the file ended (see the leakproof summary)`,
  )
}
