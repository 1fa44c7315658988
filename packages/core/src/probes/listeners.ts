import { EventEmitter } from 'node:events'
import type { ListenerFinding } from '../findings.js'
import { callerKey, originOf } from '../origin.js'
import { isClosedEmitter, type EmitterState } from '../rules.js'
import { captureStack, isFrameworkWork, parseStack } from '../stack.js'
import { recordingWindow, type WindowRef } from './window-ref.js'

interface ListenerRecord {
  emitter: WeakRef<EventEmitter>
  event: string | symbol
  listener: WeakRef<(...args: unknown[]) => unknown>
  trace: { stack?: string }
  window: WindowRef
}

let records: ListenerRecord[] = []
/** The window each emitter was born in: listeners added there to it go when it goes. */
const bornIn = new WeakMap<object, WindowRef>()
let installed = false

const ADDERS = ['on', 'addListener', 'prependListener', 'once', 'prependOnceListener'] as const

/**
 * Wraps EventEmitter's add methods and constructor hook once per process. The wrappers only push a
 * record (the stack is captured, not formatted) while a window is recording.
 */
export function enableListenerProbe(): void {
  if (installed) return
  installed = true
  const proto = EventEmitter.prototype as unknown as Record<string, (...args: unknown[]) => unknown>
  const wrapped = new Map<unknown, unknown>()
  for (const name of ADDERS) {
    const original = proto[name]!
    // `on` and `addListener` are one function: wrap it once so a call is recorded once.
    const wrapper =
      (wrapped.get(original) as typeof original | undefined) ??
      function (this: EventEmitter, event: unknown, listener: unknown) {
        const window = recordingWindow()
        // An emitter whose constructor never ran and that never had a listener (express() mixes
        // EventEmitter.prototype into a function, _events included as undefined) gets its first one
        // now: as far as we can tell it was made in this window, and goes when it goes.
        if (window && (this as { _events?: unknown })._events === undefined && !bornIn.has(this))
          bornIn.set(this, window)
        if (window && typeof listener === 'function') {
          records.push({
            emitter: new WeakRef(this),
            event: event as string | symbol,
            listener: new WeakRef(listener as () => unknown),
            trace: captureStack(),
            window,
          })
        }
        return original.apply(this, arguments as unknown as unknown[])
      }
    wrapped.set(original, wrapper)
    proto[name] = wrapper
  }
  const ee = EventEmitter as unknown as { init: (...args: unknown[]) => unknown }
  const init = ee.init
  ee.init = function (this: object) {
    const window = recordingWindow()
    if (window) bornIn.set(this, window)
    return init.apply(this, arguments as unknown as unknown[])
  }
}

/** Listeners added in `window` to emitters that outlive it, still open and still registered now. */
export function collectListeners(window: WindowRef): ListenerFinding[] {
  const mine = records.filter((r) => r.window === window)
  const groups = new Map<string, ListenerFinding>()
  for (const record of mine) {
    const emitter = record.emitter.deref()
    const listener = record.listener.deref()
    if (!emitter || !listener || bornIn.get(emitter) === window) continue
    if (!isRegistered(emitter, record.event, listener)) continue
    if (isClosedEmitter(emitter as EmitterState)) continue
    const frames = parseStack(record.trace.stack)
    if (isFrameworkWork(frames)) continue
    const origin = originOf(frames)
    if (!origin) continue
    const { at: addedAt, dependency } = origin
    const target = nameOf(emitter)
    const event = String(record.event)
    const key = `${target}\0${event}\0${addedAt.file}:${addedAt.line}:${addedAt.column}\0${callerKey(dependency)}`
    const existing = groups.get(key)
    if (existing) existing.count++
    else
      groups.set(key, {
        kind: 'listener',
        target,
        event,
        count: 1,
        addedAt,
        ...(dependency && { dependency }),
        stack: record.trace.stack ?? '',
      })
  }
  return [...groups.values()]
}

/** Keeps of `window`'s records only listeners still registered, their stacks formatted (see sealHandles). */
export function sealListeners(window: WindowRef): void {
  records = records.filter((r) => {
    if (r.window !== window) return true
    const emitter = r.emitter.deref()
    const listener = r.listener.deref()
    if (!emitter || !listener || !isRegistered(emitter, r.event, listener)) return false
    void r.trace.stack
    return true
  })
}

/** Forgets what `window` recorded (and records whose emitter is gone). */
export function dropListeners(window: WindowRef): void {
  records = records.filter((r) => r.window !== window && r.emitter.deref() !== undefined)
}

function isRegistered(emitter: EventEmitter, event: string | symbol, listener: unknown): boolean {
  return emitter.rawListeners(event).some((l) => l === listener || (l as { listener?: unknown }).listener === listener)
}

function nameOf(emitter: object): string {
  if (emitter === process) return 'process'
  // A function with EventEmitter's methods mixed in (an express() app) is named by its own name.
  if (typeof emitter === 'function') return `${emitter.name || 'anonymous'}()`
  return emitter.constructor?.name || 'EventEmitter'
}
