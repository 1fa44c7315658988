/**
 * Verdicts on test files whose environment stayed alive (environments.ts), with the options of the
 * files that released them: a finding per holding function, under the first file it holds, as that
 * file's after-all verdict; a note for a file held by what it already failed for.
 */
import type { SnapshotPlace } from './explain-findings.js'
import { environmentFindings, environments, type HeldEnvironment } from './environments.js'
import type { Finding, Verdict } from './findings.js'
import { relativeFile } from './format.js'
import { fullGc } from './gc.js'
import type { ResolvedOptions } from './options.js'
import type { BaselineEntry } from './report/baseline.js'
import { testId } from './report/model.js'
import { verdictOf } from './verdict.js'

/** A verdict on a whole test file, given after the file ended. */
export interface FileVerdict {
  file: string
  verdict: Verdict
}

/** Holds options and the baseline only, never a file's global: the watcher keeps the latest. */
export class EnvironmentJudge {
  constructor(
    private readonly options: ResolvedOptions,
    private readonly root: string,
    private readonly baseline: ReadonlyMap<string, BaselineEntry>,
  ) {}

  async verdicts(held: HeldEnvironment[]): Promise<FileVerdict[]> {
    const severity = this.options.kinds.environment
    if (held.length === 0 || severity === 'off') return []
    const place: SnapshotPlace = { root: this.root, keep: this.options.keepSnapshots, name: 'file environments' }
    const { findings, notes } = await environmentFindings(held, place, this.root)
    // The analysis's garbage is not the next file's.
    fullGc()
    const ofFile = (file: string, found: Finding[], notes: string[]): FileVerdict => {
      const id = testId(relativeFile(file, this.root), '')
      return { file, verdict: verdictOf(found, notes, this.options, this.baseline.get(id)) }
    }
    return [
      ...findings.map((finding) => ofFile(finding.files[0]!, [{ ...finding, severity }], [])),
      ...notes.map(({ file, note }) => ofFile(file, [], [note])),
    ]
  }
}

/**
 * The end of the worker, where the host can still report (Jest in band: its reporter runs in the
 * process that ran the files; last-environments.ts): the files still watched are judged, with the
 * latest file's options (`hostHoldsLatest`: see `finish`). Empty where this process watched none
 * (Jest's reporter beside worker processes).
 */
export async function finishEnvironments(hostHoldsLatest = false): Promise<FileVerdict[]> {
  const { held, judge } = await environments.finish(hostHoldsLatest)
  return judge ? judge.verdicts(held) : []
}
