export { Detector, type DetectorHost, type Judged, type Rerun } from './detector.js'
export { FileCheck, type StartedTest } from './adapter.js'
export { failsTest, fullNameOf, judgingOf, NOISE_FLOOR, type HostTest } from './rules.js'
export { Window, type TestInfo } from './window.js'
export { leaks } from './leaks.js'
export { saveState } from './saved-state.js'
export { withinTime } from './within-time.js'
export {
  resolveOptions,
  resolveReportOptions,
  type LeakproofOptions,
  type ResolvedOptions,
  type BudgetRule,
  type Size,
} from './options.js'
export { resolveBudget, unmatchedBudgetFiles, type BudgetContext, type ResolvedBudget } from './budget.js'
export { parseSize, formatBytes } from './size.js'
export { LeakError, LeakproofConfigError } from './errors.js'
export { formatFindings, formatVerdict, headline, leakLocation, locationText, type FormatOptions } from './format.js'
export { blameFrame, registerFrameworkCode, packageRoot, parseStack, type StackFrame } from './stack.js'
export { registerSourceMapProvider, runningScriptsSourceMaps, type SourceMapProvider } from './sourcemap.js'
export { globToRegExp } from './glob.js'
export * from './findings.js'
export * from './snapshot/index.js'
export * from './report/index.js'
export { toolVersion } from './version.js'
export { type IgnoreRule } from './ignore.js'
export { byWorker, heapAtFileEnd, heapGrowthLines, worker, type HeapPoint, type WorkerHeap } from './heap-timeline.js'
export { finishEnvironments, type FileVerdict } from './environment-verdicts.js'
