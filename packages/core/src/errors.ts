import { ownerOf, parseStack } from './stack.js'
import type { Finding, Verdict } from './findings.js'

/** A setting leakproof cannot use. Thrown before any test runs; the message names the option and the value. */
export class LeakproofConfigError extends Error {
  readonly code = 'LEAKPROOF_CONFIG'
  constructor(
    readonly option: string,
    readonly value: unknown,
    expected: string,
  ) {
    super(`leakproof: option "${option}" is ${describeValue(value)}; expected ${expected}.`)
    this.name = 'LeakproofConfigError'
    // Point at the user's line (their config, or the test that called leaks.budget()), not at
    // leakproof's insides: the message already says what is wrong.
    const caller = parseStack(this.stack).find((f) => ownerOf(f.file) === 'user' || ownerOf(f.file) === 'dependency')
    this.stack = `${this.name}: ${this.message}${caller ? `\n    at ${caller.file}:${caller.line}:${caller.column}` : ''}`
  }
}

/** The error a leaking test fails with. Its message is the whole report; `findings` carries the data. */
export class LeakError extends Error {
  readonly code = 'LEAKPROOF_LEAK'
  readonly findings: Finding[]
  constructor(verdict: Verdict, message: string) {
    super(message)
    this.name = 'LeakError'
    this.findings = verdict.findings
    // The stack of this error is the detector's, which says nothing about the test: the report
    // carries the user's own file:line instead.
    this.stack = `${this.name}: ${message}`
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
