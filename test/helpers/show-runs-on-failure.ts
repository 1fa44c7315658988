import { afterEach, beforeEach, onTestFailed } from 'vitest'
import { runsOfThisTest, type FixtureRun } from './run-fixture.js'

// An assertion on a fixture run shows only the values it compared; the run's own output (the
// leak reports, leakproof's notes on what it did not confirm) says why. A failing e2e test in CI
// prints the runs it asserted on (its own, or those a beforeAll made for it, once), so a flaky
// verdict can be read without reproducing the machine, with the readings judging decided on.
let fromBeforeAll: FixtureRun[] = []
beforeEach(() => {
  // Runs made between two tests were made by a beforeAll.
  if (runsOfThisTest.length > 0) fromBeforeAll = runsOfThisTest.splice(0)
  onTestFailed(() => {
    const runs = runsOfThisTest.length > 0 ? runsOfThisTest : fromBeforeAll.splice(0)
    for (const [i, run] of runs.entries())
      console.log(
        `── fixture run ${i + 1} of ${runs.length} (exit code ${run.exitCode}) ──\n${run.output}${run.trace ? `\n── its judging trace (LEAKPROOF_TRACE) ──\n${run.trace}` : ''}`,
      )
  })
})
afterEach(() => {
  runsOfThisTest.length = 0
})
