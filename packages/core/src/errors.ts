import { ownerOf, parseStack } from './stack.js'
import type { Finding, SourceLocation, Verdict } from './findings.js'

/** A setting leakproof cannot use. Thrown before any test runs; the message names the option and the value. */
export class LeakproofConfigError extends Error {
  readonly code = 'LEAKPROOF_CONFIG'
  constructor(
    readonly option: string,
    readonly value: unknown,
    private readonly expected: string,
  ) {
    super(`leakproof: option "${option}" is ${describeValue(value)}; expected ${expected}.`)
    this.name = 'LeakproofConfigError'
    // Point at the user's line (their config, or the test that called leaks.budget()), not at
    // leakproof's insides: the message already says what is wrong.
    const caller = parseStack(this.stack).find((f) => ownerOf(f.file) === 'user' || ownerOf(f.file) === 'dependency')
    this.stack = `${this.name}: ${this.message}${caller ? `\n    at ${caller.file}:${caller.line}:${caller.column}` : ''}`
  }

  /** The same error, with the option named by its full path in the host's config. */
  under(path: string): LeakproofConfigError {
    return new LeakproofConfigError(
      this.option === 'options' ? path : `${path}.${this.option}`,
      this.value,
      this.expected,
    )
  }
}

/** The error a leaking test fails with. Its message is the whole report; `findings` carries the data. */
export class LeakError extends Error {
  readonly code = 'LEAKPROOF_LEAK'
  readonly findings: Finding[]
  /**
   * `frame`: a place in the user's code to show as the error's one stack frame, for hosts that
   * print a code frame from the stack as it is (Jest). Hosts that source-map stacks again (Vitest)
   * must not get one: the location is mapped already.
   */
  constructor(verdict: Verdict, message: string, frame?: SourceLocation) {
    super(message)
    this.name = 'LeakError'
    this.findings = verdict.findings
    // The stack of this error is the detector's, which says nothing about the test: the report
    // carries the user's own file:line instead.
    this.stack = `${this.name}: ${message}${frame ? `\n    at ${frame.file}:${frame.line}:${frame.column}` : ''}`
  }
}

export function describeValue(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value)
  if (value instanceof RegExp) return String(value)
  if (typeof value === 'function') return 'a function'
  if (value === null || typeof value !== 'object') return String(value)
  try {
    return JSON.stringify(value)
  } catch {
    return Object.prototype.toString.call(value)
  }
}
