import { resolve } from 'node:path'
import { baselineOf, DEFAULT_BASELINE_FILE, writeBaseline } from '../report/baseline.js'
import type { Command } from './commands.js'
import type { CliIo } from './context.js'
import { readAndMerge } from './report.js'

/**
 * `leakproof baseline leakproof-report.json`: records the run's leaks as the suite's baseline, so
 * that from then on only new leaks (or known ones that grew) fail. The shards of a sharded run give
 * one baseline over the whole. Run it again after fixing some: the file shrinks to what still leaks.
 */
export const baseline: Command = {
  name: 'baseline',
  summary: "record a run's leaks as known (leakproof.baseline.json): from then on only new ones fail",
  positionals: [
    {
      name: '<report.json>',
      variadic: true,
      description: "the run's leakproof-report.json; several: the shards of one run",
    },
  ],
  flags: [
    {
      name: 'out',
      kind: 'string',
      value: '<file>',
      description: `the baseline to write (default ${DEFAULT_BASELINE_FILE})`,
    },
  ],
  examples: [
    'leakproof baseline leakproof-report.json',
    'leakproof baseline leakproof-report.shard-*.json --out test/leakproof.baseline.json',
  ],
  async run({ positionals, flags }, io: CliIo) {
    const recorded = baselineOf(readAndMerge(positionals, io.cwd).report)
    const out = resolve(io.cwd, typeof flags.out === 'string' ? flags.out : DEFAULT_BASELINE_FILE)
    writeBaseline(out, recorded)
    io.stdout.write(
      `leakproof: ${recorded.leaks.length} known ${recorded.leaks.length === 1 ? 'leak' : 'leaks'} written to ${out}; commit it. From now on only new leaks, and known ones grown past the tolerance, fail.\n`,
    )
    return 0
  },
}
