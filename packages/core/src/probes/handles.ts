import { createHook, executionAsyncResource } from 'node:async_hooks'
import { setImmediate as nextTurn, setTimeout as sleep } from 'node:timers/promises'
import http from 'node:http'
import net from 'node:net'
import { inspect } from 'node:util'
import type { HandleFinding } from '../findings.js'
import { type Origin, originOf } from '../origin.js'
import { isDependencyExpiryTimer, type TimerState } from '../rules.js'
import { blameFrame, captureStack, isFrameworkWork, isNodeInternalUse, parseStack, type StackFrame } from '../stack.js'
import { hideSymbols } from './hidden-symbols.js'
import { innermostWindow, isOpen, recordingWindow, type WindowRef } from './window-ref.js'

/**
 * Async resource types that keep a process busy and that a test can forget: timers (also
 * unref'ed ones: they still run the test's code later), servers, sockets, pipes, child processes,
 * UDP sockets and promise file handles. Promises and one-shot requests are not tracked.
 */
const TRACKED = new Set([
  'Timeout',
  'TCPWRAP',
  'TCPSERVERWRAP',
  'PIPEWRAP',
  'PIPESERVERWRAP',
  'PROCESSWRAP',
  'UDPWRAP',
  'FILEHANDLE',
])

interface HandleRecord {
  type: string
  resource: WeakRef<object>
  trace: { stack?: string }
  window: WindowRef
  /** `performance.now()` when it was made: when a one-shot timer is due. */
  made: number
  /**
   * A one-shot timer still pending at its window's end: the finding it made then, kept for when it
   * fires later on its own (it outlived its test: that is what it left). A timer cleared by someone
   * (`clearTimeout` drops its callback) did not fire, and is gone.
   */
  pendingAtEnd?: { finding: HandleFinding; fired: boolean }
}

let records: HandleRecord[] = []
let ownerSymbol: symbol | undefined

/**
 * The window each async resource was made in (promises included: they carry an async function's
 * continuations). What runs later in a resource's callback is that window's doing, and when that
 * window is a test that has ended (its own run or a re-run of it), it is not the doing of whichever
 * test is open now: the next step of a retry chain a test left running is that test's leftover,
 * not the next test's leak.
 */
const MADE_IN = Symbol('leakproof.madeIn')

/** What a resource carries: its window, printed as one word where Node shows a promise's symbols. */
class Maker {
  constructor(readonly window: WindowRef) {}
  [inspect.custom](): string {
    return '[leakproof test window]'
  }
}
type Marked = { [MADE_IN]?: Maker }
const makers = new WeakMap<WindowRef, Maker>()

/**
 * Resources whose callbacks are the continuation of what their maker started: timers it set,
 * promises it awaited. Not I/O (a socket, an HTTP parser): their callbacks run when something
 * arrives, and a request that arrives on a keep-alive connection an earlier test opened is the
 * doing of the test that sent it.
 */
const CONTINUATIONS = new Set(['PROMISE', 'Timeout', 'Immediate', 'TickObject', 'Microtask'])

function makerOf(open: WindowRef): WindowRef {
  if (open.replay) return open
  const parent = (executionAsyncResource() as Marked)[MADE_IN]?.window
  return parent && parent.kind === 'test' && !isOpen(parent) ? parent : open
}

function mark(resource: object, window: WindowRef): void {
  let maker = makers.get(window)
  if (!maker) makers.set(window, (maker = new Maker(window)))
  try {
    // A plain property (Node puts its async ids on promises the same way): a WeakMap entry or a
    // defined property per promise costs several times more (bench/async-hook-cost.mjs).
    ;(resource as Marked)[MADE_IN] = maker
  } catch {
    // A resource that cannot take a property (frozen): its callbacks count as the open window's.
  }
}

const hook = createHook({
  init(_asyncId, type, _triggerAsyncId, resource) {
    const open = innermostWindow()
    if (!open) return
    const maker = makerOf(open)
    if (CONTINUATIONS.has(type)) mark(resource as object, maker)
    if (!TRACKED.has(type) || maker !== open || !open.recording) return
    records.push({
      type,
      resource: new WeakRef(resource as object),
      trace: captureStack(),
      window: open,
      made: performance.now(),
    })
  },
})
let enabled = false
/** The symbols the hook puts on resources, Node's and the probe's: no test sees them (hidden-symbols.ts). */
const probeSymbols = new Set<symbol>([MADE_IN])

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

export function enableHandleProbe(scope: object): void {
  if (!enabled) {
    enabled = true
    // Node's own symbols, read off a promise made once a hook with an `init` is on; hidden only if
    // no hook had them put on promises before (Jest's own does): the test sees what it would see.
    const asyncIds = (): symbol[] =>
      Object.getOwnPropertySymbols(Promise.resolve()).filter((s) => /async_id_symbol$/.test(s.description ?? ''))
    const tracked = asyncIds().length > 0
    hook.enable()
    if (!tracked) for (const symbol of asyncIds()) probeSymbols.add(symbol)
    recordCalls(net.Server.prototype as unknown as Record<string, unknown>, 'listen')
    recordCalls(net.Socket.prototype as unknown as Record<string, unknown>, 'connect')
    recordAgentSockets()
  }
  // The test's realm may be a context of its own (Jest, Vitest's vm pools): its keys are listed there.
  hideSymbols(globalThis, probeSymbols)
  hideSymbols(scope as typeof globalThis, probeSymbols)
}

interface AgentLike {
  freeSockets?: Record<string, object[] | undefined>
}

/** The http(s).Agent that made each socket: an idle socket in its agent's free pool is pooled, not leaked. */
const agentOf = new WeakMap<object, AgentLike>()

function recordAgentSockets(): void {
  const proto = http.Agent.prototype as unknown as {
    createSocket: (req: unknown, options: unknown, cb: (err: unknown, socket?: object) => void) => unknown
  }
  const original = proto.createSocket
  proto.createSocket = function (this: AgentLike, req, options, cb) {
    const agent = this
    return original.call(this, req, options, function (this: unknown, err: unknown, socket?: object) {
      if (socket) agentOf.set(socket, agent)
      return cb.apply(this, arguments as unknown as [unknown, object?])
    })
  }
}

/**
 * A client socket that is idle in its agent's keep-alive pool (Node's http.globalAgent keeps
 * sockets alive since Node 19), or that is closing: its write side has ended and it only waits
 * for the peer's FIN (supertest's request after it closed its server).
 */
function isPooledOrClosing(socket: { writableEnded?: boolean }): boolean {
  if (socket.writableEnded === true) return true
  const agent = agentOf.get(socket)
  return agent !== undefined && Object.values(agent.freeSockets ?? {}).some((list) => list?.includes(socket))
}

/**
 * The process's own stdin, stdout or stderr: Node makes them on first use, which may be inside a
 * test (a socket's destroy reads `process.stderr`, and a fresh vmForks worker has not used it yet).
 */
function isStdio(stream: { _isStdio?: boolean; fd?: unknown }): boolean {
  return stream._isStdio === true || stream.fd === 0 || stream.fd === 1 || stream.fd === 2
}

/**
 * A one-shot timer due within this long after a test ends is not left behind: it runs and goes on
 * its own (a library's short delay, the next step of a retry). The test's window stays open while
 * leakproof waits for such timers, so what they start is still the test's.
 */
export const SHORT_TIMER_MS = 1000

/**
 * Lets what is about to go go before `window` is judged: waits while it has one-shot timers due
 * within {@link SHORT_TIMER_MS} (up to that long in all), and gives a socket still open one timers
 * turn and a check phase (it may be closing: its peer sent FIN, an interceptor's passthrough
 * socket, a connect that is failing). Windows with neither pay nothing.
 */
export async function settleHandles(window: WindowRef): Promise<void> {
  const deadline = performance.now() + SHORT_TIMER_MS
  let socketTurn = true
  for (;;) {
    const now = performance.now()
    let due = 0
    let openSocket = false
    for (const r of records) {
      if (r.window !== window) continue
      if (r.type === 'TCPWRAP' || r.type === 'PIPEWRAP') openSocket ||= findingOf(r) !== undefined
      const timer = r.type === 'Timeout' ? (r.resource.deref() as TimeoutLike | undefined) : undefined
      if (!timer || timer._repeat || !findingOf(r)) continue
      const at = r.made + (timer._idleTimeout ?? 0)
      if (at <= now + SHORT_TIMER_MS) due = Math.max(due, at)
    }
    if (openSocket && socketTurn) {
      socketTurn = false
      due = Math.max(due, now + 10)
    }
    if (due === 0 || now >= deadline) return
    // Past its due time the timer still needs the event loop to get to it: one more turn. Node's
    // own timers: the global ones may be a DOM's (happy-dom's GlobalRegistrator) or a test's
    // wrapper, and a timer made through them would be one more of the test's to wait for.
    await sleep(Math.max(0, Math.min(due, deadline) - now) + 1)
    await nextTurn()
  }
}

/** The handles created in `window` that are still active now, minus those that are not the test's doing. */
export function collectHandles(window: WindowRef): HandleFinding[] {
  return records.flatMap((record) => {
    if (record.window !== window) return []
    const finding = findingOf(record) ?? (record.pendingAtEnd?.fired ? record.pendingAtEnd.finding : undefined)
    return finding ? [finding] : []
  })
}

/**
 * Keeps of `window`'s records only the handles still active, their stacks formatted: an unformatted
 * V8 stack holds every frame's receiver (a timer set in a click handler holds the button) and would
 * keep it alive while the window waits to be judged.
 */
export function sealHandles(window: WindowRef): void {
  records = records.filter((r) => {
    if (r.window !== window) return true
    const resource = r.resource.deref()
    if (!resource || !isActive(r.type, resource)) return false
    void r.trace.stack
    const timer = r.type === 'Timeout' ? (resource as TimeoutLike) : undefined
    const finding = timer && !timer._repeat && typeof timer._onTimeout === 'function' ? findingOf(r) : undefined
    if (timer && finding) {
      const pending: { finding: HandleFinding; fired: boolean } = (r.pendingAtEnd = { finding, fired: false })
      const callback = timer._onTimeout!
      timer._onTimeout = function (this: unknown, ...args: unknown[]) {
        pending.fired = true
        return callback.apply(this, args)
      }
    }
    return true
  })
}

/** Forgets what `window` recorded (and records whose resource is gone). */
export function dropHandles(window: WindowRef): void {
  records = records.filter((r) => r.window !== window && r.resource.deref() !== undefined)
}

/** The finding a record makes: none when its handle is closed or is not the test's doing. */
function findingOf(record: HandleRecord): HandleFinding | undefined {
  const resource = record.resource.deref()
  if (!resource || !isActive(record.type, resource)) return undefined
  if (record.type === 'TCPWRAP' || record.type === 'PIPEWRAP') {
    const owner = ownerOf(resource)
    if (owner && (isPooledOrClosing(owner) || isStdio(owner))) return undefined
  }
  let frames = parseStack(record.trace.stack)
  if (!blameFrame(frames)) {
    const owner = ownerOf(resource)
    const callTrace = owner && callTraces.get(owner)
    if (callTrace) frames = parseStack(callTrace.stack)
  }
  if (isFrameworkWork(frames) || isConnectionPool(frames)) return undefined
  // A timer Node started for its own bookkeeping (an HTTP server's connection checks, the Date
  // header's cache) goes with the resource it serves, which is reported if it stays open.
  if (record.type === 'Timeout' && isNodeInternalUse(frames, ['node:timers', 'node:internal/timers'])) return undefined
  const origin = originOf(frames)
  // Nothing of the user's or a library's on either stack: Node made it on its own (a connection a
  // server accepted), and what made Node do so (the server) is reported in its own right.
  if (!origin) return undefined
  if (record.type === 'Timeout' && isDependencyExpiryTimer(timerState(resource as TimeoutLike, origin)))
    return undefined
  return {
    kind: 'handle',
    type: record.type,
    description: describe(record.type, resource),
    createdAt: origin.at,
    ...(origin.dependency && { dependency: origin.dependency }),
    stack: record.trace.stack ?? '',
  }
}

/** Sockets that Node's global `fetch` (undici) keeps alive in its pool are reused, not leaked. */
function isConnectionPool(frames: StackFrame[]): boolean {
  return frames.some((f) => f.file.includes('internal/deps/undici') || /[\\/]node_modules[\\/]undici[\\/]/.test(f.file))
}

function ownerOf(resource: object): Record<string, unknown> | undefined {
  ownerSymbol ??= Object.getOwnPropertySymbols(resource).find((s) => s.description === 'owner_symbol')
  return ownerSymbol ? (resource as Record<symbol, Record<string, unknown>>)[ownerSymbol] : undefined
}

interface TimeoutLike {
  _onTimeout?: ((...args: unknown[]) => unknown) | null
  _destroyed?: boolean
  _idleTimeout?: number
  _repeat?: number | null
  hasRef?: () => boolean
}

function timerState(timer: TimeoutLike, origin: Origin): TimerState {
  return {
    repeats: Boolean(timer._repeat),
    ref: timer.hasRef?.() ?? true,
    byDependency: origin.dependency !== undefined,
  }
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
  const owner = ownerOf(resource) as
    | { address?: () => unknown; remoteAddress?: string; remotePort?: number; pid?: number; spawnfile?: string }
    | undefined
  if (type.endsWith('SERVERWRAP')) {
    const address = safe(() => owner?.address?.()) as { address?: string; port?: number } | string | undefined
    const where =
      typeof address === 'string' ? address : address ? `${address.address}:${address.port}` : 'unknown address'
    return `Server (listening on ${where})`
  }
  if (type === 'PROCESSWRAP') return `ChildProcess (pid ${owner?.pid ?? '?'}, ${owner?.spawnfile ?? 'unknown command'})`
  if (type === 'TCPWRAP')
    return owner?.remoteAddress ? `Socket (connected to ${owner.remoteAddress}:${owner.remotePort})` : 'Socket'
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
