/**
 * What a test worker loads: the detector and what the adapters' worker-side code (Vitest's setup
 * file, Jest's environment) and the tests' `leaks` call. It leaves out the snapshot engine, the
 * report writers and the command line, which a worker never needs or reaches only through the
 * detector's own imports: the engine is loaded once per worker process, and Vitest's forks pool
 * starts one process per test file, so every module here is paid for per file (the whole index took
 * about 40 ms to load, this entry about 25 ms, on this project's 2-core machines).
 */
export { Detector, type DetectorHost, type Judged, type Rerun } from './detector.js'
export { FileCheck, type StartedTest } from './adapter.js'
export { fullNameOf, type HostTest } from './rules.js'
export { leaks } from './leaks.js'
export { saveState } from './saved-state.js'
export { withinTime } from './within-time.js'
export { resolveOptions, type LeakproofOptions, type ResolvedOptions, type BudgetRule, type Size } from './options.js'
export { parseSize } from './size.js'
export { LeakError, LeakproofConfigError } from './errors.js'
export { formatVerdict, headline } from './format.js'
export { blameFrame, registerFrameworkCode, packageRoot, parseStack, type StackFrame } from './stack.js'
export { registerSourceMapProvider, type SourceMapProvider } from './sourcemap.js'
export * from './findings.js'
export { heapAtFileEnd, worker, type HeapPoint, type WorkerHeap } from './heap-timeline.js'
export { testReport } from './report/record.js'
export { type TestReport } from './report/model.js'
export { judgeLastEnvironmentsAtStop, judgeLastEnvironmentsWhenAsked } from './report/last-environments.js'
