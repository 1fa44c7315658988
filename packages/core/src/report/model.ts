/**
 * The report of a whole run: what `leakproof-report.json` holds (its JSON Schema ships as
 * `@leakproof/core/report-schema.json`). Plain data, written by the adapters' reporters, read
 * back by `leakproof report`, merged across shards.
 */
import type { Finding, IgnoredFinding, VerdictState } from '../findings.js'
import type { WorkerHeap } from '../heap-timeline.js'
import { toolVersion } from '../version.js'

export const REPORT_SCHEMA_VERSION = 1

export interface LeakReport {
  schemaVersion: typeof REPORT_SCHEMA_VERSION
  tool: { name: string; version: string }
  framework: { name: 'vitest' | 'jest'; version: string }
  node: string
  createdAt: string
  /** Set when the run was one shard of several (`--shard=index/count`); a merged report has none (see merge.ts). */
  shard?: { index: number; count: number }
  /** Every judged test, and every file whose after-all check found something. */
  tests: TestReport[]
  /** Set when a baseline file was read: its known leaks that passed, and those fixed since. */
  baseline?: { file: string; known: string[]; fixed: string[] }
  /** Each worker's live heap after GC and RSS at each of its files' ends (heap-timeline.ts). */
  heap?: WorkerHeap[]
}

export interface TestReport {
  /** `file > describe > test`, or the file alone for the file-level check: unique in a run. */
  id: string
  /** Relative to the project root, with `/`. */
  file: string
  /** `describe > test`, or '' for the file-level check. */
  fullName: string
  /** 1-based line of the test's declaration, when the framework knows it. */
  line?: number
  /** `leak` fails the test; `known` is a leak the baseline lists (passes); `warn` has findings of kinds set to warn; `skipped` was not judged (see notes). */
  verdict: VerdictState | 'warn'
  findings: Finding[]
  notes: string[]
  /** Findings an `ignore` rule hid, with the rule's reason. */
  ignored?: IgnoredFinding[]
  /** Set when the worker died while leakproof checked this test: what it was doing (see interrupted.ts). */
  interrupted?: string
}

export function testId(file: string, fullName: string): string {
  return fullName ? `${file} > ${fullName}` : file
}

/** A run's report, stamped with the versions that made it. */
export function newReport(
  framework: LeakReport['framework'],
  tests: TestReport[],
  shard?: LeakReport['shard'],
  heap?: WorkerHeap[],
): LeakReport {
  return {
    schemaVersion: REPORT_SCHEMA_VERSION,
    tool: { name: '@leakproof/core', version: toolVersion() },
    framework,
    node: process.version,
    createdAt: new Date().toISOString(),
    ...(shard && { shard }),
    tests,
    ...(heap && heap.length > 0 && { heap }),
  }
}
