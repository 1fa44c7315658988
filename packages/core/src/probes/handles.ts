import { createHook } from 'node:async_hooks'
import net from 'node:net'
import type { HandleFinding } from '../findings.js'
import { blameFrame, captureStack, isFrameworkWork, isNodeInternalUse, parseStack, type StackFrame } from '../stack.js'
import { recordingWindow, type WindowRef } from './window-ref.js'

/**
 * Async resource types that keep a process busy and that a test can forget: timers (also
 * unref'ed ones: they still run the test's code later), servers, sockets, pipes, child processes,
 * UDP sockets and promise file handles. Promises and one-shot requests are not tracked.
 */
const TRACKED = new Set(['Timeout', 'TCPWRAP', 'TCPSERVERWRAP', 'PIPEWRAP', 'PIPESERVERWRAP', 'PROCESSWRAP', 'UDPWRAP', 'FILEHANDLE'])

interface HandleRecord {
  type: string
  resource: WeakRef<object>
  trace: { stack?: string }
  window: WindowRef
}

let records: HandleRecord[] = []
let ownerSymbol: symbol | undefined

const hook = createHook({
  init(_asyncId, type, _triggerAsyncId, resource) {
    if (!TRACKED.has(type)) return
    const window = recordingWindow()
    if (!window) return
    records.push({ type, resource: new WeakRef(resource as object), trace: captureStack(), window })
  },
})
let enabled = false

/**
 * Where `listen()` / `connect()` was called. A server listening on a host name, or a socket
 * connecting to one, is created after a DNS lookup, on a stack with no user frame on it.
 */
const callTraces = new WeakMap<object, { stack?: string }>()

function recordCalls(proto: Record<string, unknown>, method: string): void {
  const original = proto[method] as (...args: unknown[]) => unknown
  proto[method] = function (this: object, ...args: unknown[]) {
    if (recordingWindow()) callTraces.set(this, captureStack())
    return original.apply(this, args)
  }
}

export function enableHandleProbe(): void {
  if (enabled) return
  enabled = true
  hook.enable()
  recordCalls(net.Server.prototype as unknown as Record<string, unknown>, 'listen')
  recordCalls(net.Socket.prototype as unknown as Record<string, unknown>, 'connect')
}

/** The handles created in `window` that are still active, minus those that are not the test's doing. */
export function collectHandles(window: WindowRef): HandleFinding[] {
  const mine = records.filter((r) => r.window === window)
  records = records.filter((r) => r.window !== window && r.resource.deref() !== undefined)
  const findings: HandleFinding[] = []
  for (const record of mine) {
    const resource = record.resource.deref()
    if (!resource || !isActive(record.type, resource)) continue
    let frames = parseStack(record.trace.stack)
    if (!blameFrame(frames)) {
      const owner = ownerOf(resource)
      const callTrace = owner && callTraces.get(owner)
      if (callTrace) frames = parseStack(callTrace.stack)
    }
    if (isFrameworkWork(frames) || isConnectionPool(frames)) continue
    // A timer Node started for its own bookkeeping (an HTTP server's connection checks) goes with
    // the resource it serves, which is reported if it stays open.
    if (record.type === 'Timeout' && isNodeInternalUse(frames, ['node:timers', 'node:internal/timers'])) continue
    const createdAt = blameFrame(frames)
    // Nothing of the user's on either stack: Node made it on its own (a connection a server
    // accepted), and what made Node do so (the server) is reported in its own right.
    if (!createdAt) continue
    findings.push({ kind: 'handle', type: record.type, description: describe(record.type, resource), createdAt, stack: record.trace.stack ?? '' })
  }
  return findings
}

/** Sockets that Node's global `fetch` (undici) keeps alive in its pool are reused, not leaked. */
function isConnectionPool(frames: StackFrame[]): boolean {
  return frames.some((f) => f.file.includes('internal/deps/undici') || /[\\/]node_modules[\\/]undici[\\/]/.test(f.file))
}

function ownerOf(resource: object): Record<string, unknown> | undefined {
  ownerSymbol ??= Object.getOwnPropertySymbols(resource).find((s) => s.description === 'owner_symbol')
  return ownerSymbol ? ((resource as Record<symbol, Record<string, unknown>>)[ownerSymbol]) : undefined
}

interface TimeoutLike {
  _destroyed?: boolean
  _idleTimeout?: number
  _repeat?: number | null
  hasRef?: () => boolean
}

function isActive(type: string, resource: object): boolean {
  if (type === 'Timeout') return (resource as TimeoutLike)._destroyed === false
  if (type === 'FILEHANDLE') return (resource as { fd?: number }).fd !== -1
  const owner = ownerOf(resource)
  if (!owner) return false
  if ('listening' in owner && type.endsWith('SERVERWRAP')) return owner.listening === true
  if (type === 'PROCESSWRAP') return owner._handle != null
  if ('destroyed' in owner) return owner.destroyed === false
  return owner._handle != null
}

function describe(type: string, resource: object): string {
  if (type === 'Timeout') {
    const t = resource as TimeoutLike
    const fn = t._repeat ? 'setInterval' : 'setTimeout'
    const unref = t.hasRef && !t.hasRef() ? ', unref' : ''
    return `Timeout (${fn} ${formatMs(t._repeat ?? t._idleTimeout ?? 0)}${unref})`
  }
  const owner = ownerOf(resource) as { address?: () => unknown; remoteAddress?: string; remotePort?: number; pid?: number; spawnfile?: string } | undefined
  if (type.endsWith('SERVERWRAP')) {
    const address = safe(() => owner?.address?.()) as { address?: string; port?: number } | string | undefined
    const where = typeof address === 'string' ? address : address ? `${address.address}:${address.port}` : 'unknown address'
    return `Server (listening on ${where})`
  }
  if (type === 'PROCESSWRAP') return `ChildProcess (pid ${owner?.pid ?? '?'}, ${owner?.spawnfile ?? 'unknown command'})`
  if (type === 'TCPWRAP') return owner?.remoteAddress ? `Socket (connected to ${owner.remoteAddress}:${owner.remotePort})` : 'Socket'
  if (type === 'PIPEWRAP') return 'Pipe'
  if (type === 'UDPWRAP') return 'UDP socket'
  if (type === 'FILEHANDLE') return `FileHandle (fd ${(resource as { fd?: number }).fd})`
  return type
}

function formatMs(ms: number): string {
  return ms >= 1000 && ms % 1000 === 0 ? `${ms / 1000} s` : ms >= 1000 ? `${(ms / 1000).toFixed(1)} s` : `${ms} ms`
}

function safe<T>(fn: () => T): T | undefined {
  try {
    return fn()
  } catch {
    return undefined
  }
}
