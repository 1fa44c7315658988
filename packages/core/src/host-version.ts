/**
 * The framework version an adapter runs under, checked against the range its package supports (its
 * `peerDependencies`), so that an unsupported one stops the run with one sentence that names both:
 * under Vitest 3 every test file failed with "The requested module 'vitest' does not provide an
 * export named 'TestRunner'", and a bench printed a ratio of runs in which no test ran.
 */

/** Whether `version` is in `range`: caret ranges (`^4.1.0`) joined by `||`, as peerDependencies write them. A pre-release counts as its release. */
export function inCaretRange(version: string, range: string): boolean {
  const parts = (v: string): number[] | undefined => {
    const match = /^\s*\^?(\d+)\.(\d+)\.(\d+)/.exec(v)
    return match ? match.slice(1).map(Number) : undefined
  }
  const have = parts(version)
  if (!have) return false
  return range.split('||').some((alternative) => {
    const floor = parts(alternative)
    if (!floor || !/^\s*\^/.test(alternative) || have[0] !== floor[0]) return false
    return have[1]! > floor[1]! || (have[1] === floor[1] && have[2]! >= floor[2]!)
  })
}

/** The error to stop the run with, or undefined when `version` is supported. */
export function unsupportedHost(adapter: string, host: string, version: string, range: string): Error | undefined {
  if (inCaretRange(version, range)) return undefined
  const error = new Error(
    `leakproof: ${adapter} supports ${host} ${range
      .split('||')
      .map((r) => r.trim())
      .join(
        ' or ',
      )}; this project runs ${host} ${version}. Upgrade ${host.toLowerCase()}, or leave leakproof out of this config.`,
  )
  error.name = 'LeakproofVersionError'
  // The sentence says it all: a stack into leakproof's insides would only bury it.
  error.stack = `${error.name}: ${error.message}`
  return error
}
