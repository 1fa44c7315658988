import { fileURLToPath } from 'node:url'
import { existsSync, readFileSync } from 'node:fs'
import { dirname, join, sep } from 'node:path'
import type { SourceLocation } from './findings.js'
import { mapPosition } from './sourcemap.js'

export interface StackFrame extends SourceLocation {
  functionName: string
}

const FRAME = /^\s*at (?:async )?(?:(.*?) \()?(.+?):(\d+):(\d+)\)?$/

/** Parses a V8 stack string (already source-mapped by the host, if it maps stacks) into frames. */
export function parseStack(stack: string | undefined): StackFrame[] {
  if (!stack) return []
  const frames: StackFrame[] = []
  for (const line of stack.split('\n')) {
    const m = FRAME.exec(line)
    if (!m) continue
    frames.push({ functionName: m[1] ?? '<anonymous>', file: toPath(m[2]!), line: Number(m[3]), column: Number(m[4]) })
  }
  return frames
}

export function toPath(file: string): string {
  if (file.startsWith('file://')) {
    try {
      return fileURLToPath(file.replace(/[?#].*$/, ''))
    } catch {
      return file
    }
  }
  return file.replace(/[?#].*$/, '')
}

/**
 * Who wrote a frame. `framework` is the test framework: its bookkeeping (console buffering timers,
 * RPC listeners) happens inside a test's window but is never the test's leak. `leakproof` is this
 * tool itself: its probes sit on every captured stack and are skipped over.
 */
export type FrameOwner = 'node' | 'leakproof' | 'framework' | 'dependency' | 'user'

const ownDirs: string[] = []
const ownPatterns: RegExp[] = [/[\\/]node_modules[\\/]@leakproof[\\/]/]
const frameworkPatterns: RegExp[] = []

/** Adapters name their own package directory, and path patterns of their host framework's code. */
export function registerFrameworkCode(leakproofDirs: string[], hostPatterns: RegExp[] = []): void {
  for (const dir of leakproofDirs) {
    const withSep = dir.endsWith(sep) ? dir : dir + sep
    if (!ownDirs.includes(withSep)) ownDirs.push(withSep)
  }
  // A copy made here: a pattern from a test file's vm context would keep that context alive.
  for (const p of hostPatterns)
    if (!frameworkPatterns.some((q) => q.source === p.source)) frameworkPatterns.push(new RegExp(p.source, p.flags))
}

export function ownerOf(file: string): FrameOwner {
  if (file.startsWith('node:') || (!file.includes('/') && !file.includes('\\'))) return 'node'
  if (ownDirs.some((d) => file.startsWith(d)) || ownPatterns.some((p) => p.test(file))) return 'leakproof'
  if (frameworkPatterns.some((p) => p.test(file))) return 'framework'
  if (file.includes(`${sep}node_modules${sep}`) || file.includes('/node_modules/')) return 'dependency'
  return 'user'
}

/**
 * The DOM implementations (jsdom, happy-dom and what they are made of): what they do on their own
 * is not the test's doing, and what they do when called is the caller's (a test's `setTimeout` is
 * jsdom's window's, which calls Node's): they implement the globals a test runs against.
 */
export const DOM_IMPLEMENTATION =
  /[\\/]node_modules[\\/](jsdom|happy-dom|whatwg-url|nwsapi|parse5|cssstyle|@asamuzakjp|entities)[\\/]/

/**
 * The frame a report points at: the innermost frame in the user's own code, else the innermost
 * in a dependency (a library the user called), never Node's, the framework's or leakproof's.
 */
export function blameFrame(frames: StackFrame[]): StackFrame | undefined {
  return frames.find((f) => ownerOf(f.file) === 'user') ?? frames.find((f) => ownerOf(f.file) === 'dependency')
}

/** Frames below leakproof's own (its probe that captured the stack). */
function callerFrames(frames: StackFrame[]): StackFrame[] {
  let i = 0
  while (i < frames.length && ownerOf(frames[i]!.file) === 'leakproof') i++
  return frames.slice(i)
}

/**
 * True when the code that directly did the thing (the innermost frame outside Node) belongs to the
 * test framework: then it is bookkeeping, not the test's doing.
 */
export function isFrameworkWork(frames: StackFrame[]): boolean {
  return directOwner(frames) === 'framework'
}

/**
 * Whose code directly did the thing: the innermost frame outside Node and leakproof, and outside
 * the DOM implementation when something called it (as in `originOf`): Vitest's runner throttles its
 * task updates with a `setTimeout` that, under jsdom, is the window's, and that timer is the
 * framework's, still pending at a file's end on a loaded machine.
 */
export function directOwner(frames: StackFrame[]): FrameOwner | undefined {
  const callers = callerFrames(frames).filter((f) => ownerOf(f.file) !== 'node')
  const direct = callers.find((f) => !DOM_IMPLEMENTATION.test(f.file)) ?? callers[0]
  return direct && ownerOf(direct.file)
}

/**
 * True when Node used one of its own modules (`entries`, e.g. the timers) for its own purposes:
 * the frame that called into them is Node's too, as when an HTTP server starts its connection-check interval.
 */
export function isNodeInternalUse(frames: StackFrame[], entries: string[]): boolean {
  const callers = callerFrames(frames)
  let last = -1
  callers.forEach((f, i) => {
    if (entries.includes(f.file)) last = i
  })
  if (last < 0) return false
  const caller = callers[last + 1]
  return caller !== undefined && ownerOf(caller.file) === 'node'
}

/** Captures a stack without formatting it: V8 formats lazily, on first read of `.stack`. */
export function captureStack(limit = 40): { stack?: string } {
  return captureFramesLater(limit, captureStack) as { stack?: string }
}

/** A frame as V8 ran it: 1-based line and column in the code as run (before source maps). */
export interface RawFrame {
  file: string
  line: number
  column: number
  functionName: string
}

/**
 * Captures the caller's frames now, as plain data. For probes that keep a record of objects they
 * must not keep alive: an unformatted V8 stack holds every frame's receiver and function (a
 * `node.addEventListener(…)` frame holds the node) until it is formatted. Positions are mapped to
 * the source later, by {@link mapFrames}, only for what ends up in a report.
 */
export function captureFrames(limit = 30): RawFrame[] {
  return framesOf(captureFramesLater(limit, captureFrames))
}

/**
 * A stack captured but not formatted yet: V8 walks the frames now and builds them only when the
 * stack is first read ({@link framesOf}), which is about half of a capture's cost. Until then it
 * holds every frame's receiver and function alive: a probe that keeps one formats or drops it by
 * the time its window closes.
 */
export interface PendingFrames {
  stack?: unknown
}

/** The frames no longer needed: a record that keeps nothing alive and will never be reported. */
export const NO_FRAMES: PendingFrames = Object.freeze({ stack: [] })

export function captureFramesLater(
  limit = 30,
  above: (...args: never[]) => unknown = captureFramesLater,
): PendingFrames {
  const holder: PendingFrames = {}
  const savedLimit = Error.stackTraceLimit
  Error.stackTraceLimit = limit
  try {
    Error.captureStackTrace(holder, above)
  } finally {
    Error.stackTraceLimit = savedLimit
  }
  return holder
}

/** The frames of a {@link captureFramesLater} capture, built on the first call (V8 formats the stack on its first read). */
export function framesOf(pending: PendingFrames): RawFrame[] {
  const savedPrepare = Error.prepareStackTrace
  Error.prepareStackTrace = (_error, sites) =>
    sites.map((s): RawFrame => ({
      file: s.getFileName() ?? '',
      line: s.getLineNumber() ?? 0,
      column: s.getColumnNumber() ?? 0,
      functionName: s.getFunctionName() ?? '<anonymous>',
    }))
  try {
    return Array.isArray(pending.stack) ? (pending.stack as RawFrame[]) : []
  } finally {
    Error.prepareStackTrace = savedPrepare
  }
}

/** Frames from {@link captureFrames}, the user's own mapped to the source they wrote (TypeScript, JSX, …). */
export function mapFrames(raw: RawFrame[]): StackFrame[] {
  return raw
    .filter((f) => f.file !== '')
    .map((f) => {
      const file = toPath(f.file)
      if (ownerOf(file) !== 'user') return { functionName: f.functionName, file, line: f.line, column: f.column }
      const mapped = mapPosition(file, f.line - 1, f.column - 1, f.functionName)
      return { functionName: f.functionName, file: mapped.file, line: mapped.line, column: mapped.column }
    })
}

/** Frames as a V8 stack string (what findings carry as `stack`). */
export function stackText(frames: StackFrame[]): string {
  return frames.map((f) => `    at ${f.functionName} (${f.file}:${f.line}:${f.column})`).join('\n')
}

// The engine's own package (its frames may arrive source-mapped to src/): never the user's code.
{
  const self = parseStack(new Error().stack)[0]?.file
  if (self) registerFrameworkCode([packageRoot(self)])
}

/** The nearest directory above `file` whose package.json names a package (not a `{"type"}` marker). */
export function packageRoot(file: string): string {
  let dir = dirname(file)
  while (!namesPackage(join(dir, 'package.json')) && dirname(dir) !== dir) dir = dirname(dir)
  return dir
}

function namesPackage(manifest: string): boolean {
  try {
    return existsSync(manifest) && typeof JSON.parse(readFileSync(manifest, 'utf8')).name === 'string'
  } catch {
    return false
  }
}
