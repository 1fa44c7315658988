import { readFileSync } from 'node:fs'
import { dirname, resolve } from 'node:path'
import { originalPositionFor, TraceMap } from '@jridgewell/trace-mapping'
import type { SourceLocation } from './findings.js'
import { inspectorSession } from './inspector.js'
import { toPath } from './stack.js'

/**
 * Maps positions in code as it ran to the source a person wrote. Error stacks usually arrive
 * mapped already (Vitest and Jest map them); positions from V8's profiler never do, so those go
 * through here. A host that transforms code in memory registers where to find the source map of
 * the code it ran (a raw source map object); otherwise the file's own sourceMappingURL is used.
 */
export type SourceMapProvider = (file: string) => object | undefined

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
  const map = traceMapFor(file)
  if (map) {
    const pos = originalPositionFor(map, { line: line + 1, column })
    if (pos.line !== null && pos.source) {
      return {
        file: toPath(
          pos.source.startsWith('/') || pos.source.startsWith('file:')
            ? pos.source
            : resolve(dirname(file), pos.source),
        ),
        line: pos.line,
        column: pos.column + 1,
        functionName: pos.name ?? functionName,
      }
    }
  }
  return { file, line: line + 1, column: column + 1, functionName }
}

function traceMapFor(file: string): TraceMap | undefined {
  if (maps.has(file)) return maps.get(file) ?? undefined
  let map: TraceMap | null = null
  try {
    const raw = provider?.(file) ?? inlineOrAdjacentMap(readFileSync(file, 'utf8'), file)
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
 * For hosts that run code they transformed in memory, with the source map inline, and keep no
 * handle on it an adapter can reach (Jest's runtime): V8 itself knows each running script's
 * sourceMappingURL. Listing the scripts costs tens of ms, so it is done when a file is not known
 * yet, and only when positions are mapped (allocation sites of a confirmed leak).
 */
export function runningScriptsSourceMaps(): SourceMapProvider {
  let urls = new Map<string, string>()
  return (file) => {
    if (!urls.has(file)) urls = listScriptSourceMapUrls()
    const url = urls.get(file)
    return url ? JSON.parse(readSourceMapUrl(url, file)) : undefined
  }
}

function listScriptSourceMapUrls(): Map<string, string> {
  const urls = new Map<string, string>()
  const session = inspectorSession()
  const onScript = ({ params }: { params: { url: string; sourceMapURL?: string } }): void => {
    if (params.url && params.sourceMapURL) urls.set(toPath(params.url), params.sourceMapURL)
  }
  session.on('Debugger.scriptParsed', onScript)
  // An in-process session answers synchronously: every loaded script is reported during `enable`.
  session.post('Debugger.enable')
  session.post('Debugger.disable')
  session.off('Debugger.scriptParsed', onScript)
  return urls
}

function readSourceMapUrl(url: string, file: string): string {
  const inline = /^data:application\/json[^,]*?(;base64)?,(.*)$/.exec(url)
  if (inline) return inline[1] ? Buffer.from(inline[2]!, 'base64').toString('utf8') : decodeURIComponent(inline[2]!)
  return readFileSync(resolve(dirname(file), url), 'utf8')
}
