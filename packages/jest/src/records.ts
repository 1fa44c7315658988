/**
 * How verdicts travel from the environments (in Jest's workers) to the reporter (in the main
 * process): Jest carries only failures to reporters, and a run's report also lists the tests that
 * passed, were skipped or only warned. The reporter makes a folder and names it in an environment
 * variable before Jest starts its workers (which inherit it); each test file's environment writes
 * its records there when it is torn down.
 */
import { createHash } from 'node:crypto'
import { existsSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import type { HeapPoint, TestReport } from '@leakproof/core'

/** What one test file's environment hands the reporter: its verdicts, and its point of its worker's heap timeline. */
export interface FileRecords {
  tests: TestReport[]
  heap?: { worker: string; point: HeapPoint }
}

export const RECORDS_DIR_VARIABLE = 'LEAKPROOF_JEST_RECORDS'

function recordsFile(dir: string, testPath: string): string {
  return join(dir, `${createHash('sha1').update(testPath).digest('hex')}.json`)
}

/** In the environment: nothing to do when no leakproof reporter is listening. */
export function writeRecords(testPath: string, records: FileRecords): void {
  const dir = process.env[RECORDS_DIR_VARIABLE]
  if (dir && existsSync(dir)) writeFileSync(recordsFile(dir, testPath), JSON.stringify(records))
}

export function readRecords(dir: string, testPath: string): FileRecords {
  const file = recordsFile(dir, testPath)
  return existsSync(file) ? (JSON.parse(readFileSync(file, 'utf8')) as FileRecords) : { tests: [] }
}
