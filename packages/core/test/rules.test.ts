import { describe, expect, test } from 'vitest'
import type { Finding, Verdict } from '../src/findings.js'
import {
  afterRerun,
  keptBetweenSnapshots,
  DOM_NOISE_FLOOR,
  ENVIRONMENT_GC_GROWTH,
  environmentGcDue,
  environmentMustBeGone,
  environmentState,
  heldByOwnFailure,
  heldByQueryCache,
  isDependencyExpiryTimer,
  judgedAfterGc,
  isClosedEmitter,
  keptAcrossReruns,
  keptByEveryRun,
  retainedByRerunSamples,
  retainedBySamples,
  failsTest,
  fullNameOf,
  judgingOf,
  majority,
  mayRetain,
  NOISE_FLOOR,
  perRunGrowth,
  retainedAcrossRuns,
  rerunBodyLimit,
  retainedOnOneRun,
  retainedThreshold,
  SINGLE_RUN_FLOOR,
  stateOf,
} from '../src/rules.js'

const KB = 1024
const MB = 1024 * KB

describe('judgingOf', () => {
  test('a test alone is judged alone', () => expect(judgingOf({})).toBe('alone'))
  test('a concurrent test is judged with its file, even when expected to fail', () =>
    expect(judgingOf({ concurrent: true, expectedToFail: true })).toBe('with-file'))
  test('a test expected to fail is not judged', () => expect(judgingOf({ expectedToFail: true })).toBe('not-judged'))
})

describe('retainedThreshold', () => {
  test('a budget under the noise floor counts as the floor', () => expect(retainedThreshold(0)).toBe(NOISE_FLOOR))
  test('under a DOM, the floor is higher (libraries keep the latest event and query results)', () =>
    expect(retainedThreshold(0, true)).toBe(DOM_NOISE_FLOOR))
  test('a larger budget is the threshold', () => expect(retainedThreshold(2 * MB)).toBe(2 * MB))
})

describe('mayRetain: the cheap bound of one window', () => {
  test('growth within the threshold clears the window without a GC', () =>
    expect(mayRetain(40 * KB, NOISE_FLOOR)).toBe(false))
  test('growth above it makes the window wait for a full GC', () => expect(mayRetain(200 * KB, NOISE_FLOOR)).toBe(true))
  test('no bound (a major GC ran inside the window) says nothing: it waits', () =>
    expect(mayRetain(undefined, NOISE_FLOOR)).toBe(true))
})

describe('retainedBySamples: which windows of a span that grew are suspects', () => {
  test('two live samples (one per 16 KB) at the noise floor make a suspect', () =>
    expect(retainedBySamples(33 * KB, 0, NOISE_FLOOR)).toBe(true))
  test('one sample of framework bookkeeping does not', () =>
    expect(retainedBySamples(16 * KB, 0, NOISE_FLOOR)).toBe(false))
  test('Buffers are not sampled: external growth over the threshold makes a suspect', () =>
    expect(retainedBySamples(0, 2 * MB, NOISE_FLOOR)).toBe(true))
  test('a budget raises the bar', () => expect(retainedBySamples(1 * MB, 0, 4 * MB)).toBe(false))
})

describe('retainedByRerunSamples: which suspects a re-run keeps for confirmation', () => {
  test('a re-run must keep the whole threshold: three samples of a keep-alive pool at the noise floor do not', () => {
    expect(retainedByRerunSamples(48 * KB, 0, NOISE_FLOOR)).toBe(false)
    expect(retainedByRerunSamples(64 * KB, 0, NOISE_FLOOR)).toBe(true)
  })
  test('Buffers are not sampled: external growth over the threshold keeps it a suspect', () =>
    expect(retainedByRerunSamples(0, 2 * MB, NOISE_FLOOR)).toBe(true))
})

describe('perRunGrowth', () => {
  const t = 512 * 1024
  test('a run in which other memory died reads low and does not pull the figure down', () =>
    expect(perRunGrowth([1.2 * MB, 2 * MB, 2.1 * MB], t)).toEqual({
      perRun: 2 * MB,
      minPerRun: 1.2 * MB,
      runsThatGrew: 3,
    }))
  test('runs under the threshold are not counted; two runs give their mean', () =>
    expect(perRunGrowth([-3 * MB, 2 * MB, 3 * MB], t)).toEqual({
      perRun: 2.5 * MB,
      minPerRun: 2 * MB,
      runsThatGrew: 2,
    }))
})

describe('retainedAcrossRuns', () => {
  const t = NOISE_FLOOR
  test('majority', () => expect([1, 2, 3, 4, 5].map(majority)).toEqual([1, 2, 2, 3, 3]))
  test('growth on every run is a leak', () => expect(retainedAcrossRuns([2 * MB, 2 * MB, 2 * MB], t, 3)).toBe('leak'))
  test('a first use grows once and stops: cleared after two flat runs, without the third', () => {
    expect(retainedAcrossRuns([2 * MB, 1 * KB], t, 3)).toBe('undecided')
    expect(retainedAcrossRuns([1 * KB, 2 * KB], t, 3)).toBe('clean')
  })
  test('one run in which other memory died (even 26 MB of it) does not hide a leak that grew in the majority', () =>
    expect(retainedAcrossRuns([8 * MB, -26 * MB, 8 * MB], t, 3)).toBe('leak'))
  test('two runs in which other memory died do not clear a leak: they are run again', () => {
    expect(retainedAcrossRuns([-6 * MB, 2 * MB, -9 * MB], t, 3)).toBe('undecided')
    expect(retainedAcrossRuns([-6 * MB, 2 * MB, -9 * MB, 2 * MB], t, 3)).toBe('leak')
    expect(retainedAcrossRuns([-6 * MB, 2 * MB, -9 * MB, 1 * KB, 2 * KB], t, 3)).toBe('clean')
  })
  test('a test whose runs keep falling is judged on them after as many runs again', () => {
    expect(retainedAcrossRuns([-6 * MB, -6 * MB, -6 * MB], t, 3)).toBe('undecided')
    expect(retainedAcrossRuns([-6 * MB, -6 * MB, -6 * MB, -6 * MB], t, 3)).toBe('clean')
  })
  test('a fall within the threshold is a run that kept nothing', () =>
    expect(retainedAcrossRuns([-t / 2, 1 * KB], t, 3)).toBe('clean'))
  test('a leak runs every repetition', () => expect(retainedAcrossRuns([2 * MB, 2 * MB], t, 3)).toBe('undecided'))
  test('undecided until the runs are done', () => expect(retainedAcrossRuns([2 * MB], t, 3)).toBe('undecided'))
})

describe('rerunBodyLimit', () => {
  test('a quick test gets two seconds, under the 5 s default timeout it would otherwise wait out', () =>
    expect(rerunBodyLimit(12)).toBe(2_000))
  test('a slow test gets ten times its first run', () => expect(rerunBodyLimit(450.2)).toBe(4_502))
})

describe('retainedOnOneRun', () => {
  test('below the single-run floor, a first run is not told from a leak', () =>
    expect(retainedOnOneRun(500 * KB, NOISE_FLOOR)).toBe(false))
  test('well above it, one run is enough', () => expect(retainedOnOneRun(SINGLE_RUN_FLOOR + 1, NOISE_FLOOR)).toBe(true))
  test('a budget above the floor is the bar', () => expect(retainedOnOneRun(3 * MB, 4 * MB)).toBe(false))
})

describe('afterRerun: the one rule for first use', () => {
  const seen = (atJudging: boolean, beforeRerun: boolean, after: boolean, madeAgain: boolean) =>
    afterRerun({ atJudging, beforeRerun, afterRerun: after, madeAgain })
  test('made again and the first one kept: a leak (one more per run)', () =>
    expect(seen(true, true, true, true)).toBe('leak'))
  test('not made again: a first-use singleton (a global set with ??=, a helper process, a cached node)', () =>
    expect(seen(true, true, true, false)).toBe('first-use'))
  test('replaced by its own re-run: an idempotent registration, not kept', () =>
    expect(seen(true, true, false, true)).toBe('gone'))
  test('closed by a later test before judging (tests that share a connection): not left behind', () =>
    expect(seen(false, false, false, true)).toBe('gone'))
  test("removed by another test's re-run (a cleanup of everything mounted): made again is enough", () => {
    expect(seen(true, false, false, true)).toBe('leak')
    expect(seen(true, false, false, false)).toBe('first-use')
  })
})

describe('verdicts', () => {
  const finding = (severity: 'error' | 'warn'): Finding => ({
    kind: 'global',
    name: 'x',
    valueType: 'object',
    severity,
  })
  test('an error-severity finding makes a leak; warnings alone do not', () => {
    expect(stateOf([finding('warn'), finding('error')])).toBe('leak')
    expect(stateOf([finding('warn')])).toBe('clean')
    expect(stateOf([])).toBe('clean')
  })
  test('only a leak fails the test; a known (baseline) leak does not', () => {
    const v = (state: Verdict['state']): Verdict => ({ state, findings: [], notes: [] })
    expect([v('leak'), v('known'), v('clean'), v('skipped')].map(failsTest)).toEqual([true, false, false, false])
  })
  test('full names join describe blocks and the test with " > "', () =>
    expect(fullNameOf(['auth', 'session', 'creates one'])).toBe('auth > session > creates one'))
})

describe('isClosedEmitter', () => {
  const server = (listening: boolean) => ({ listening, close() {}, address() {} })
  test('a server closed (not listening), a destroyed socket or stream, a closed HTTP/2 session', () => {
    expect(isClosedEmitter(server(false))).toBe(true)
    expect(isClosedEmitter({ destroyed: true })).toBe(true)
    expect(isClosedEmitter({ closed: true, destroyed: false })).toBe(true)
  })
  test('a closed WebSocket (readyState CLOSED, 3 in ws and the WHATWG one) and a closed engine.io transport', () => {
    expect(isClosedEmitter({ readyState: 3, CLOSED: 3 })).toBe(true)
    expect(isClosedEmitter({ readyState: 'closed' })).toBe(true)
    expect(isClosedEmitter({ readyState: 1, CLOSED: 3 })).toBe(false)
    expect(isClosedEmitter({ readyState: 'open' })).toBe(false)
    // A readyState with no CLOSED of its own says nothing (a number means nothing without it).
    expect(isClosedEmitter({ readyState: 3 })).toBe(false)
  })
  test('open ones, and emitters that say nothing of it (a bus, process), are not', () => {
    expect(isClosedEmitter(server(true))).toBe(false)
    expect(isClosedEmitter({ destroyed: false })).toBe(false)
    expect(isClosedEmitter({})).toBe(false)
    // `listening` alone (no close/address) is not a server's.
    expect(isClosedEmitter({ listening: false })).toBe(false)
  })
})

describe('keptAcrossReruns: a memory suspect after two marked re-runs', () => {
  const threshold = 256 * 1024
  test('a leak keeps both runs’ objects', () => {
    expect(keptAcrossReruns(1_000_000, 1_000_000, 0, threshold)).toBe(true)
  })
  test('what the next run replaces (the newest render) keeps only the later run’s: cleared', () => {
    expect(keptAcrossReruns(0, 1_000_000, 0, threshold)).toBe(false)
    expect(keptAcrossReruns(16 * 1024, 400_000, undefined, threshold)).toBe(false)
  })
  test('memory outside the heap, which samples miss, keeps it a suspect when the later run grew it', () => {
    expect(keptAcrossReruns(0, 0, 2 * 1024 * 1024, threshold)).toBe(true)
    expect(keptAcrossReruns(0, 0, 1024, threshold)).toBe(false)
  })
})

describe('keptByEveryRun: detached trees', () => {
  test('a tree kept from each of three runs is a leak', () => {
    expect(keptByEveryRun([true, true, true])).toBe(true)
  })
  test('a cache of the last results lets the oldest go: not a leak', () => {
    // Two kept at once (the re-run's and the third run's), the first run's gone.
    expect(keptByEveryRun([false, true, true])).toBe(false)
    // Only the newest kept.
    expect(keptByEveryRun([false, false, true])).toBe(false)
  })
  test('a run that kept none is not a leak, nor is no run at all', () => {
    expect(keptByEveryRun([true, true, false])).toBe(false)
    expect(keptByEveryRun([])).toBe(false)
  })
})

describe('heldByQueryCache', () => {
  const step = (edge: string, node: string, file?: string) => ({ edge, node, ...(file && { file }) })
  test("jsdom's nwsapi resolver cache holding the last query's results", () => {
    const path = [
      step('', 'global'),
      step('jsdom', 'JSDOM'),
      step('_document', 'Document'),
      step('_nwsapi', 'Object {matchLambdas}'),
      step('clear', 'closure clear', '/p/node_modules/nwsapi/src/nwsapi.js'),
      step('[0]', 'HTMLButtonElement'),
    ]
    expect(heldByQueryCache(path)).toBe(true)
  })
  test('the newer selector engine remembering the last event', () => {
    expect(
      heldByQueryCache([
        step('', 'global'),
        step('_domSelector', 'DOMSelector'),
        step('#finder', 'Finder'),
        step('#event', 'MouseEvent'),
        step('target', 'HTMLButtonElement'),
      ]),
    ).toBe(true)
  })
  test("a user's module array or listener closure is a path to act on", () => {
    expect(
      heldByQueryCache([
        step('', 'module', '/p/src/rows.ts'),
        step('kept', 'Array'),
        step('[3]', 'HTMLTableRowElement'),
      ]),
    ).toBe(false)
    expect(
      heldByQueryCache([
        step('', 'global'),
        step('_document', 'Document'),
        step('listener', 'closure onResize', '/p/src/widget.ts'),
        step('node', 'HTMLDivElement'),
      ]),
    ).toBe(false)
  })
})

describe('keptBetweenSnapshots: the explaining run repeats the leak', () => {
  test('a group that keeps megabytes confirms it', () =>
    expect(keptBetweenSnapshots([{ retainedSize: 2 * MB }], 96, NOISE_FLOOR)).toBe(true))
  test('a run that kept a few promises does not: the growth was passing', () =>
    expect(keptBetweenSnapshots([{ retainedSize: 864 }], 864, NOISE_FLOOR)).toBe(false))
  test("Buffers: the ArrayBuffer's retained size carries its backing store", () =>
    expect(keptBetweenSnapshots([{ retainedSize: 2 * MB }, { retainedSize: 2 * MB }], 184, NOISE_FLOOR)).toBe(true))
})

describe("environments: a test file's whole environment after it ended", () => {
  test('gone only once a full GC came after the next file was released: one file later', () => {
    expect(environmentMustBeGone(3, 2)).toBe(false)
    // A GC after its own release only: what its afterAll started closing may still be closing.
    expect(environmentMustBeGone(3, 3)).toBe(false)
    expect(environmentMustBeGone(3, 4)).toBe(true)
    expect(environmentMustBeGone(3, 9)).toBe(true)
  })

  test('held only when alive again after a GC that came after a later release than the first sighting', () => {
    expect(environmentState(3, 3, undefined)).toBe('waiting')
    expect(environmentState(3, 4, undefined)).toBe('suspect')
    // A second GC in the same span: the framework may still be letting go of it.
    expect(environmentState(3, 4, 4)).toBe('suspect')
    expect(environmentState(3, 5, 4)).toBe('held')
  })

  test('a GC of leakproof is due once the heap grew by more than was live, and one would judge', () => {
    const due = (oldestWaiting: number, latest: number, grown: number, liveAfterFullGc: number): boolean =>
      environmentGcDue({ oldestWaiting, latest, suspectSince: undefined, grown, liveAfterFullGc })
    const live = 40 * MB
    expect(due(0, 5, ENVIRONMENT_GC_GROWTH + 1, live)).toBe(true)
    expect(due(0, 5, ENVIRONMENT_GC_GROWTH - 1, live)).toBe(false)
    // A big live heap: growth is measured against it, so the GC's cost stays below V8's own pace.
    expect(due(0, 5, 100 * MB, 160 * MB)).toBe(false)
    expect(due(0, 5, 170 * MB, 160 * MB)).toBe(true)
    // Only the file released just before is waiting: a GC now could not judge it (one file later).
    expect(due(5, 5, 500 * MB, live)).toBe(false)
  })

  test('a suspect seen alive before the latest release: a GC confirms or clears it, whatever the growth', () => {
    const w = { oldestWaiting: 2, latest: 6, grown: 0, liveAfterFullGc: 40 * MB }
    expect(environmentGcDue({ ...w, suspectSince: 5 })).toBe(true)
    expect(environmentGcDue({ ...w, suspectSince: 6 })).toBe(false)
  })

  test('a file already failed for what holds it: held by a function of the module that made the handle', () => {
    const at = (file: string, line: number) => ({ file, line, column: 1 })
    expect(heldByOwnFailure(at('/p/src/timer.ts', 3), [at('/p/src/timer.ts', 6)])).toBe(true)
    expect(heldByOwnFailure(at('/p/src/fs-retry.ts', 6), [at('/p/src/timer.ts', 6)])).toBe(false)
    expect(heldByOwnFailure(at('/p/src/fs-retry.ts', 6), [])).toBe(false)
    // Not explained: any failure of the file's may be what holds it.
    expect(heldByOwnFailure(undefined, [at('/p/src/timer.ts', 6)])).toBe(true)
    expect(heldByOwnFailure(undefined, [])).toBe(false)
  })
})

describe('isDependencyExpiryTimer', () => {
  test("a dependency's unref'd one-shot timer (a TTL cache's entry) is the library's own expiry", () => {
    expect(isDependencyExpiryTimer({ repeats: false, ref: false, byDependency: true })).toBe(true)
  })
  test("the user's unref'd timer, a dependency's interval or its timer that keeps the process up are left behind", () => {
    expect(isDependencyExpiryTimer({ repeats: false, ref: false, byDependency: false })).toBe(false)
    expect(isDependencyExpiryTimer({ repeats: true, ref: false, byDependency: true })).toBe(false)
    expect(isDependencyExpiryTimer({ repeats: false, ref: true, byDependency: true })).toBe(false)
  })
})

describe('judgedAfterGc', () => {
  test('a DOM listener on an element may be gone with it: a full GC tells', () => {
    expect(judgedAfterGc({ kind: 'listener', target: '<div#root>' })).toBe(true)
    expect(judgedAfterGc({ kind: 'listener', target: 'document.body' })).toBe(true)
  })
  test('a listener on an emitter the hooks let go of is gone with it: a full GC tells', () => {
    expect(judgedAfterGc({ kind: 'listener', target: 'EventEmitter' })).toBe(true)
    expect(judgedAfterGc({ kind: 'listener', target: 'Socket' })).toBe(true)
  })
  test("the window's, the document's and the process's listeners, handles and globals need none", () => {
    expect(judgedAfterGc({ kind: 'listener', target: 'document' })).toBe(false)
    expect(judgedAfterGc({ kind: 'listener', target: 'window' })).toBe(false)
    expect(judgedAfterGc({ kind: 'listener', target: 'process' })).toBe(false)
    expect(judgedAfterGc({ kind: 'handle' })).toBe(false)
    expect(judgedAfterGc({ kind: 'global' })).toBe(false)
  })
})
