export { newReport, REPORT_SCHEMA_VERSION, testId, type LeakReport, type TestReport } from './model.js'
export { testReport } from './record.js'
export { leakRows, type LeakRow } from './rows.js'
export {
  formatBaselineSummary,
  formatIgnoredSummary,
  formatNotesSummary,
  formatTerminalSummary,
  type TerminalOptions,
} from './terminal.js'
export { escapeData, escapeProperty, githubAnnotations, markdownSummary, type AnnotationOptions } from './github.js'
export { publishReport, shardReportFile, type PublishOptions } from './publish.js'
export {
  mergeReports,
  parseReport,
  reportRoot,
  ReportError,
  type MergeResult,
  type ReportErrorCode,
  type SavedReport,
} from './merge.js'
export {
  againstBaseline,
  baselineOf,
  baselineResult,
  DEFAULT_BASELINE_FILE,
  fixedSinceBaseline,
  loadBaseline,
  writeBaseline,
  type Baseline,
  type BaselineEntry,
} from './baseline.js'
export {
  CHECKING_DIR_VARIABLE,
  formatInterruptedSummary,
  interruptedChecks,
  prepareCheckingDir,
  whileChecking,
} from './interrupted.js'
export { workerDeaths, type WorkerDeath } from './worker-deaths.js'
export { runFailure } from './run-failure.js'
export { judgeLastEnvironmentsAtStop, judgeLastEnvironmentsWhenAsked, lastEnvironments } from './last-environments.js'
