import { readFileSync } from 'node:fs'
import { dirname, resolve } from 'node:path'
import { originalPositionFor, TraceMap } from '@jridgewell/trace-mapping'
import type { SourceLocation } from './findings.js'
import { parseStack, toPath } from './stack.js'

/**
 * Maps positions in code as it ran to the source a person wrote. Error stacks usually arrive
 * mapped already (Vitest and Jest map them); positions from V8's profiler never do, so those go
 * through here. A host that transforms code in memory registers where to find the source map of
 * the code it ran (a raw source map object), or that its own stack formatter maps positions
 * (`'stack-formatter'`, see `formattedByHost`); otherwise the file's own sourceMappingURL is used.
 */
export type SourceMapProvider = ((file: string) => object | undefined) | 'stack-formatter'

let provider: SourceMapProvider | undefined
const maps = new Map<string, TraceMap | null>()

/** `undefined` when the host's file is over: the provider may hold what the file made. */
export function registerSourceMapProvider(fn: SourceMapProvider | undefined): void {
  provider = fn
  maps.clear()
}

/** `line` and `column` as V8's profiler gives them: 0-based. Returns a 1-based location. */
export function mapPosition(url: string, line: number, column: number, functionName?: string): SourceLocation {
  const file = toPath(url)
  const mapped =
    provider === 'stack-formatter'
      ? formattedByHost(file, line + 1, column + 1, functionName)
      : mappedByTraceMap(file, line, column, functionName)
  return mapped ?? { file, line: line + 1, column: column + 1, functionName }
}

function mappedByTraceMap(
  file: string,
  line: number,
  column: number,
  functionName?: string,
): SourceLocation | undefined {
  const map = traceMapFor(file)
  if (!map) return undefined
  const pos = originalPositionFor(map, { line: line + 1, column })
  if (pos.line === null || !pos.source) return undefined
  return {
    file: toPath(
      pos.source.startsWith('/') || pos.source.startsWith('file:') ? pos.source : resolve(dirname(file), pos.source),
    ),
    line: pos.line,
    column: pos.column + 1,
    functionName: pos.name ?? functionName,
  }
}

function traceMapFor(file: string): TraceMap | undefined {
  if (maps.has(file)) return maps.get(file) ?? undefined
  let map: TraceMap | null = null
  try {
    const raw =
      (typeof provider === 'function' ? provider(file) : undefined) ??
      inlineOrAdjacentMap(readFileSync(file, 'utf8'), file)
    if (raw) map = new TraceMap(raw as ConstructorParameters<typeof TraceMap>[0])
  } catch {
    map = null
  }
  maps.set(file, map)
  return map ?? undefined
}

function inlineOrAdjacentMap(code: string, file: string): string | undefined {
  // The last such comment wins; hosts may append comments of their own after it.
  const at = Math.max(code.lastIndexOf('//# sourceMappingURL='), code.lastIndexOf('//@ sourceMappingURL='))
  if (at < 0) return undefined
  const url = /^\S+/.exec(code.slice(at + '//# sourceMappingURL='.length))?.[0]
  return url ? readSourceMapUrl(url, file) : undefined
}

/**
 * Through the host's stack formatter. For hosts that run code they transformed in memory and keep
 * its source maps out of an adapter's reach, but format error stacks against them (Jest: its runtime's registry, behind the
 * `Error.prepareStackTrace` it installs for each test file; `'stack-formatter'` as the provider): a
 * position is mapped by having that formatter format a one-frame stack of it. Listing V8's scripts
 * for their inline maps instead cost a Jest + RTL file 70–200 ms (every loaded script reported), once
 * per new file of the user's.
 */
function formattedByHost(
  file: string,
  line: number,
  column: number,
  functionName?: string,
): SourceLocation | undefined {
  const format = Error.prepareStackTrace
  if (typeof format !== 'function') return undefined
  try {
    const text = format(new Error(), [new PositionSite(file, line, column, functionName)] as NodeJS.CallSite[])
    const frame = typeof text === 'string' ? parseStack(text)[0] : undefined
    if (!frame) return undefined
    return {
      file: frame.file,
      line: frame.line,
      column: frame.column,
      functionName: functionName ?? frame.functionName,
    }
  } catch {
    return undefined
  }
}

/** A V8 CallSite for one position (1-based), for a stack formatter that maps positions. */
class PositionSite {
  constructor(
    private readonly file: string,
    private readonly line: number,
    private readonly column: number,
    private readonly functionName: string | undefined,
  ) {}
  getFileName(): string {
    return this.file
  }
  getScriptNameOrSourceURL(): string {
    return this.file
  }
  getLineNumber(): number {
    return this.line
  }
  getColumnNumber(): number {
    return this.column
  }
  getFunctionName(): string | null {
    return this.functionName ?? null
  }
  getMethodName(): null {
    return null
  }
  getTypeName(): null {
    return null
  }
  getThis(): undefined {
    return undefined
  }
  getFunction(): undefined {
    return undefined
  }
  getEvalOrigin(): undefined {
    return undefined
  }
  getEnclosingLineNumber(): null {
    return null
  }
  getEnclosingColumnNumber(): null {
    return null
  }
  getPosition(): number {
    return 0
  }
  getPromiseIndex(): null {
    return null
  }
  getScriptHash(): string {
    return ''
  }
  isToplevel(): boolean {
    return this.functionName === undefined
  }
  isEval(): boolean {
    return false
  }
  isNative(): boolean {
    return false
  }
  isConstructor(): boolean {
    return false
  }
  isAsync(): boolean {
    return false
  }
  isPromiseAll(): boolean {
    return false
  }
  toString(): string {
    const at = `${this.file}:${this.line}:${this.column}`
    return this.functionName ? `${this.functionName} (${at})` : at
  }
}

function readSourceMapUrl(url: string, file: string): string {
  const inline = /^data:application\/json[^,]*?(;base64)?,(.*)$/.exec(url)
  if (inline) return inline[1] ? Buffer.from(inline[2]!, 'base64').toString('utf8') : decodeURIComponent(inline[2]!)
  return readFileSync(resolve(dirname(file), url), 'utf8')
}
