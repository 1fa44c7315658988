import { existsSync, readFileSync } from 'node:fs'
import { resolve } from 'node:path'
import { baselineOf, DEFAULT_BASELINE_FILE, writeBaseline } from '../report/baseline.js'
import { REPORT_SCHEMA_VERSION, type LeakReport } from '../report/model.js'
import type { Command } from './commands.js'
import { CliError, type CliIo } from './context.js'

/**
 * `leakproof baseline leakproof-report.json`: records the run's leaks as the suite's baseline, so
 * that from then on only new leaks (or known ones that grew) fail. Run it again after fixing some:
 * the file shrinks to what still leaks.
 */
export const baseline: Command = {
  name: 'baseline',
  summary: "record a run's leaks as known (leakproof.baseline.json): from then on only new ones fail",
  positionals: [{ name: '<leakproof-report.json>', description: 'the report of a whole run (reporter output)' }],
  flags: [{ name: 'out', kind: 'string', value: '<file>', description: `the baseline to write (default ${DEFAULT_BASELINE_FILE})` }],
  examples: ['leakproof baseline leakproof-report.json', 'leakproof baseline leakproof-report.json --out test/leakproof.baseline.json'],
  async run({ positionals, flags }, io: CliIo) {
    const file = resolve(io.cwd, positionals[0]!)
    if (!existsSync(file)) throw new CliError(`leakproof: ${file} does not exist; run the suite with leakproof first (it writes leakproof-report.json).`)
    let report: LeakReport
    try {
      report = JSON.parse(readFileSync(file, 'utf8')) as LeakReport
    } catch (error) {
      throw new CliError(`leakproof: ${file} is not a leakproof report: ${(error as Error).message}.`)
    }
    if (report?.schemaVersion !== REPORT_SCHEMA_VERSION || !Array.isArray(report.tests)) throw new CliError(`leakproof: ${file} is not a leakproof report of schema version ${REPORT_SCHEMA_VERSION} (it says ${JSON.stringify(report?.schemaVersion)}).`)
    const out = resolve(io.cwd, typeof flags.out === 'string' ? flags.out : DEFAULT_BASELINE_FILE)
    const recorded = baselineOf(report)
    writeBaseline(out, recorded)
    io.stdout.write(`leakproof: ${recorded.leaks.length} known ${recorded.leaks.length === 1 ? 'leak' : 'leaks'} written to ${out}; commit it. From now on only new leaks, and known ones grown past the tolerance, fail.\n`)
    return 0
  },
}
