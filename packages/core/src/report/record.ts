import { relativeFile } from '../format.js'
import type { Verdict } from '../findings.js'
import { testId, type TestReport } from './model.js'

/** One test's (or, with fullName '', one file's) entry of the run report, from its verdict. */
export function testReport(root: string, file: string, fullName: string, verdict: Verdict, line?: number): TestReport {
  const rel = relativeFile(file, root)
  const state = verdict.state === 'clean' && verdict.findings.length > 0 ? 'warn' : verdict.state
  return {
    id: testId(rel, fullName),
    file: rel,
    fullName,
    ...(line !== undefined && { line }),
    verdict: state,
    findings: verdict.findings,
    notes: verdict.notes,
    ...(verdict.ignored && { ignored: verdict.ignored }),
  }
}
