/**
 * The DOM probes (jsdom, happy-dom): listeners added with `addEventListener` (kind `listener`) and
 * nodes made in a window that end it alive but out of the document (kind `dom`).
 *
 * Both DOM implementations have their own EventTarget class, not Node's: the wrapped methods are
 * found from the document the tests run against (the prototype that owns `addEventListener` in its
 * chain is the one window, document and elements share), plus the window's own copies of them
 * (jsdom puts EventTarget's methods on the window itself, as WebIDL says a [Global] does, and Vitest
 * copies bound ones onto its global). The wrappers only push a record while a window is recording;
 * the stack is captured, not formatted, and everything else is decided when the window ends.
 */
import type { DomFinding, ListenerFinding } from '../findings.js'
import { callerKey, originOf } from '../origin.js'
import {
  blameFrame,
  DOM_IMPLEMENTATION,
  captureFrames,
  captureFramesLater,
  framesOf,
  isFrameworkWork,
  mapFrames,
  NO_FRAMES,
  ownerOf,
  stackText,
  type PendingFrames,
  type RawFrame,
  type StackFrame,
} from '../stack.js'
import { groupDetached, isNodeLike, nodeName, targetName, type DomGlobals, type NodeLike } from './dom-trees.js'
import { recordingWindow, type WindowRef } from './window-ref.js'

type Fn = (this: unknown, ...args: unknown[]) => unknown

interface NodeRecord {
  node: WeakRef<NodeLike>
  trace: RawFrame[]
}

interface DomListenerRecord {
  target: WeakRef<object>
  type: string
  capture: boolean
  listener: WeakRef<object>
  signal: WeakRef<{ aborted?: boolean }> | undefined
  /** Removed with removeEventListener, or a `once` listener that fired. */
  removed: boolean
  /** Formatted or dropped when its window closes ({@link sealDomListeners}). */
  trace: PendingFrames
  window: WindowRef
}

/** Nodes made in each open test window, in the order they were made. */
const nodesOf = new Map<WindowRef, NodeRecord[]>()
/** The window each node was made in (test or file window). */
const bornIn = new WeakMap<object, WindowRef>()
const listenersOf = new Map<WindowRef, DomListenerRecord[]>()
/** Listener records by target, for removeEventListener to find. */
const listenersOn = new WeakMap<object, DomListenerRecord[]>()
const wrappedObjects = new WeakSet<object>()

/**
 * Inside one of our wrappers, nested wrapped calls record nothing: the implementation may call its
 * own public methods (happy-dom's parser calls createElement), and the outer call records once.
 */
let depth = 0

/**
 * Calls `original` as one of our wrappers: the window to record into is given only to the outermost
 * wrapped call made while a window records.
 */
function outerCall(
  original: Fn,
  self: unknown,
  args: IArguments,
): { window: ReturnType<typeof recordingWindow> | undefined; result: unknown } {
  const window = depth === 0 ? recordingWindow() : undefined
  depth++
  try {
    return { window, result: original.apply(self, args as unknown as unknown[]) }
  } finally {
    depth--
  }
}

export interface DomScope extends DomGlobals {
  /** The global object tests run against. */
  global: object
}

/**
 * Finds the DOM of `scope` (the object tests run against) and wraps it, once per prototype and
 * window object. Returns undefined when the scope has no document (a Node environment).
 */
export function enableDomProbe(scope: object, options: { listeners: boolean; nodes: boolean }): DomScope | undefined {
  const g = scope as Record<string, unknown>
  const document = g.document
  if (!isNodeLike(document) || document.nodeType !== 9) return undefined
  const windows = [scope, g.window, (document as { defaultView?: unknown }).defaultView].filter(
    (w): w is object => typeof w === 'object' && w !== null,
  )
  const dom: DomScope = { global: scope, windows: [...new Set(windows)], document }
  if (options.listeners) {
    const targetProto = holderOf(document, 'addEventListener')
    if (targetProto) wrapEventTarget(targetProto, undefined)
    // The window's own copies (jsdom's [Global] members, Vitest's bound copies): the target is the window.
    for (const w of dom.windows) if (Object.prototype.hasOwnProperty.call(w, 'addEventListener')) wrapEventTarget(w, w)
  }
  if (options.nodes) {
    const documentProto = holderOf(document, 'createElement')
    if (documentProto)
      wrapFactories(documentProto, [
        'createElement',
        'createElementNS',
        'createTextNode',
        'createComment',
        'createDocumentFragment',
        'importNode',
      ])
    const element = safely(() => (document as unknown as { createElement(tag: string): object }).createElement('div'))
    const nodeProto = element && holderOf(element, 'cloneNode')
    if (nodeProto) wrapFactories(nodeProto, ['cloneNode'])
    const elementProto = element && ownerOfDescriptor(element, 'innerHTML')
    if (elementProto) wrapInnerHtml(elementProto)
  }
  return dom
}

function holderOf(object: object, method: string): object | undefined {
  for (let p: object | null = object; p; p = Object.getPrototypeOf(p)) {
    if (Object.prototype.hasOwnProperty.call(p, method) && typeof (p as Record<string, unknown>)[method] === 'function')
      return p
  }
  return undefined
}

function ownerOfDescriptor(object: object, property: string): object | undefined {
  for (let p: object | null = object; p; p = Object.getPrototypeOf(p)) {
    if (Object.getOwnPropertyDescriptor(p, property)?.set) return p
  }
  return undefined
}

function captureOf(options: unknown): boolean {
  return typeof options === 'boolean'
    ? options
    : typeof options === 'object' && options !== null && Boolean((options as { capture?: unknown }).capture)
}

/**
 * Wraps add/removeEventListener on `holder` (a prototype, or a window's own properties). `fixed`
 * is the target when calls on `holder` may come without a useful `this` (a bare `addEventListener()`
 * call on the global, or Vitest's copies bound to the implementation's window).
 */
function wrapEventTarget(holder: object, fixed: object | undefined): void {
  const h = holder as Record<string, Fn>
  const add = h.addEventListener
  const remove = h.removeEventListener
  // Checked on the functions, not the holder: a host may put fresh copies on the same global (Vitest
  // without isolation sets the DOM's globals up again for each file).
  if (typeof add !== 'function' || typeof remove !== 'function' || wrappedObjects.has(add)) return
  replaceMethod(
    holder,
    'addEventListener',
    function addEventListener(this: unknown, type: unknown, listener: unknown, options: unknown) {
      const target = fixed ?? (this as object)
      const { window, result } = outerCall(add, this, arguments)
      if (window && target && listener && (typeof listener === 'function' || typeof listener === 'object')) {
        const signal =
          typeof options === 'object' && options !== null ? (options as { signal?: unknown }).signal : undefined
        const record: DomListenerRecord = {
          target: new WeakRef(target),
          type: String(type),
          capture: captureOf(options),
          listener: new WeakRef(listener as object),
          signal:
            typeof signal === 'object' && signal !== null ? new WeakRef(signal as { aborted?: boolean }) : undefined,
          removed: false,
          // A test's run (or re-run): the frames are built only for the listeners still there when
          // its window closes. A React root adds some 140 listeners to its container, which the
          // test's cleanup then takes out of the document; building all their frames was most of
          // what the DOM probe cost in a React Testing Library suite.
          trace: window.kind === 'test' ? captureFramesLater() : { stack: captureFrames() },
          window,
        }
        push(listenersOf, window, record)
        let onTarget = listenersOn.get(target)
        if (!onTarget) listenersOn.set(target, (onTarget = []))
        onTarget.push(record)
        if (typeof options === 'object' && options !== null && (options as { once?: unknown }).once) {
          // A `once` listener is removed when it fires: a sentinel added right after it fires in the
          // same dispatch. Added with the unwrapped method, so it is never recorded itself.
          add.call(
            this ?? fixed,
            type,
            function leakproofOnceSentinel() {
              record.removed = true
            },
            { once: true, capture: record.capture },
          )
        }
      }
      return result
    },
  )
  wrappedObjects.add(h.addEventListener!)
  replaceMethod(
    holder,
    'removeEventListener',
    function removeEventListener(this: unknown, type: unknown, listener: unknown, options: unknown) {
      const target = fixed ?? (this as object)
      const onTarget = target ? listenersOn.get(target) : undefined
      if (onTarget) {
        const capture = captureOf(options)
        for (const r of onTarget)
          if (!r.removed && r.type === String(type) && r.capture === capture && r.listener.deref() === listener)
            r.removed = true
      }
      return outerCall(remove, this, arguments).result
    },
  )
}

/**
 * Puts `method` in place of `holder[name]`, keeping the property's enumerability. An accessor (how
 * Vitest copies the DOM's globals) becomes a plain writable property holding the wrapper.
 */
function replaceMethod(holder: object, name: string, method: Fn): void {
  const { enumerable = false, configurable = true } = Object.getOwnPropertyDescriptor(holder, name) ?? {}
  Object.defineProperty(holder, name, { value: method, writable: true, enumerable, configurable })
}

/** Wraps methods that return a new node (a deep clone or import: a new tree). */
function wrapFactories(proto: object, names: string[]): void {
  const p = proto as Record<string, Fn>
  for (const name of names) {
    const original = p[name]
    if (typeof original !== 'function' || wrappedObjects.has(original)) continue
    const wrapper = {
      [name](this: unknown) {
        const { window, result: node } = outerCall(original, this, arguments)
        if (window && isNodeLike(node)) recordTree(node, window, captureFrames())
        return node
      },
    }[name]!
    wrappedObjects.add(wrapper)
    replaceMethod(proto, name, wrapper)
  }
}

/** `element.innerHTML = …` makes a new subtree from markup: its nodes are recorded after the set. */
function wrapInnerHtml(proto: object): void {
  const descriptor = Object.getOwnPropertyDescriptor(proto, 'innerHTML')!
  const set = descriptor.set!
  if (wrappedObjects.has(set)) return
  const wrapped = function (this: NodeLike) {
    const { window } = outerCall(set, this, arguments)
    if (window) {
      const trace = captureFrames()
      for (let child = this.firstChild ?? null; child; child = child.nextSibling ?? null)
        recordTree(child, window, trace)
    }
  }
  wrappedObjects.add(wrapped)
  Object.defineProperty(proto, 'innerHTML', { ...descriptor, set: wrapped })
}

/** Records `root` and its descendants as made in `window` (all with one creation stack). */
function recordTree(root: NodeLike, window: WindowRef, trace: RawFrame[]): void {
  const list =
    window.kind === 'test' ? (nodesOf.get(window) ?? (nodesOf.set(window, []), nodesOf.get(window)!)) : undefined
  const stack: NodeLike[] = [root]
  while (stack.length > 0) {
    const node = stack.pop()!
    if (bornIn.has(node)) continue
    bornIn.set(node, window)
    list?.push({ node: new WeakRef(node), trace })
    for (let child = node.firstChild ?? null; child; child = child.nextSibling ?? null) stack.push(child)
  }
}

function push<K, V>(map: Map<K, V[]>, key: K, value: V): void {
  const list = map.get(key)
  if (list) list.push(value)
  else map.set(key, [value])
}

/**
 * DOM listeners added in `window` and still registered on a target that outlives it: the window,
 * the document, a node in the document, or a node made before the window that is still alive.
 * Listeners on nodes the window made and left out of the document go with those nodes (or are part
 * of a detached tree, kind `dom`).
 */
export function collectDomListeners(window: WindowRef, dom: DomScope): ListenerFinding[] {
  const mine = listenersOf.get(window) ?? []
  const groups = new Map<string, ListenerFinding>()
  for (const record of mine) {
    const target = reportableTarget(record, window, dom)
    if (!target) continue
    const frames = mapFrames(framesOf(record.trace))
    if (isFrameworkWork(frames) || isImplementationWork(frames)) continue
    const origin = originOf(frames)
    if (!origin) continue
    const { at: addedAt, dependency } = origin
    const name = targetName(target, dom)
    const key = `${name}\0${record.type}\0${record.capture}\0${addedAt.file}:${addedAt.line}:${addedAt.column}\0${callerKey(dependency)}`
    const existing = groups.get(key)
    if (existing) existing.count++
    else
      groups.set(key, {
        kind: 'listener',
        target: name,
        event: record.type,
        count: 1,
        ...(record.capture && { capture: true }),
        addedAt,
        ...(dependency && { dependency }),
        stack: stackText(frames),
      })
  }
  return [...groups.values()]
}

/**
 * The target of a listener that may be reported as left behind, or undefined: one still registered
 * on the window, the document, or a node in it or made before the window. Listeners on nodes the
 * window made and left out of the document go with those nodes (a detached tree), and those on
 * other EventTargets (AbortSignal, XMLHttpRequest, …) are not judged: see README, "Limits".
 */
function reportableTarget(record: DomListenerRecord, window: WindowRef, dom: DomScope): object | undefined {
  const target = record.target.deref()
  if (!target || record.removed || !record.listener.deref() || record.signal?.deref()?.aborted) return undefined
  if (dom.windows.includes(target)) return target
  if (!isNodeLike(target) || (!connected(target) && bornIn.get(target) === window)) return undefined
  return target
}

/**
 * When `window` closes: the stacks of its listeners that may still be reported are formatted (an
 * unformatted stack holds its frames' receivers, the nodes a click handler ran on, and would keep
 * them alive while the window waits for its verdict); the others are dropped unformatted.
 */
export function sealDomListeners(window: WindowRef, dom: DomScope): void {
  for (const record of listenersOf.get(window) ?? []) {
    if (reportableTarget(record, window, dom)) framesOf(record.trace)
    else record.trace = NO_FRAMES
  }
}

export interface DetachedGroup {
  finding: Omit<DomFinding, 'severity'>
  /** The first tree's root, for the snapshot's "retained by". */
  root: WeakRef<object>
}

/**
 * Nodes made in `window`, alive and out of the document, grouped into trees (root = the topmost
 * ancestor), and trees into groups with the same root name made at the same line. Call after a full GC.
 */
export function collectDetached(window: WindowRef): DetachedGroup[] {
  const mine = nodesOf.get(window) ?? []
  const alive: Array<{ node: NodeLike; record: NodeRecord }> = []
  for (const record of mine) {
    const node = record.node.deref()
    if (node && !connected(node)) alive.push({ node, record })
  }
  const groups = new Map<string, DetachedGroup>()
  for (const tree of groupDetached(alive)) {
    const frames = mapFrames(tree.record.trace)
    if (isFrameworkWork(frames) || isImplementationWork(frames)) continue
    const createdAt = blameFrame(frames)
    const root = nodeName(tree.root)
    const key = `${root}\0${createdAt ? `${createdAt.file}:${createdAt.line}:${createdAt.column}` : ''}`
    const group = groups.get(key)
    if (group) {
      group.finding.trees++
      group.finding.nodes += tree.nodes
    } else {
      groups.set(key, {
        finding: { kind: 'dom', root, trees: 1, nodes: tree.nodes, createdAt, stack: stackText(frames) },
        root: new WeakRef(tree.root),
      })
    }
  }
  return [...groups.values()]
}

/** Forgets what a window recorded (a discarded window, or a re-run's scratch window). */
export function dropDomRecords(window: WindowRef): void {
  for (const record of listenersOf.get(window) ?? []) {
    const onTarget = record.target.deref() && listenersOn.get(record.target.deref()!)
    if (onTarget) onTarget.splice(onTarget.indexOf(record), 1)
  }
  listenersOf.delete(window)
  nodesOf.delete(window)
}

/** The same finding made again (by a re-run): same target or root, event, and line. */
export function domFindingKey(finding: Omit<ListenerFinding, 'severity'> | Omit<DomFinding, 'severity'>): string {
  const at = finding.kind === 'listener' ? finding.addedAt : finding.createdAt
  const where = at ? `${at.file}:${at.line}:${at.column}` : ''
  return finding.kind === 'listener'
    ? `listener\0${finding.target}\0${finding.event}\0${finding.capture ?? false}\0${where}`
    : `dom\0${finding.root}\0${where}`
}

function connected(node: NodeLike): boolean {
  return safely(() => node.isConnected) === true
}

/** The code that directly added the listener or made the node is the DOM implementation's own. */
function isImplementationWork(frames: StackFrame[]): boolean {
  const direct = frames.find((f) => ownerOf(f.file) !== 'leakproof' && ownerOf(f.file) !== 'node')
  return direct !== undefined && DOM_IMPLEMENTATION.test(direct.file)
}

function safely<T>(read: () => T): T | undefined {
  try {
    return read()
  } catch {
    return undefined
  }
}

/** The part of nwsapi (jsdom's selector engine up to jsdom 26) that lets go of what it remembers. */
interface Nwsapi {
  configure(options: object, clear: boolean): unknown
  select(selector: string, context: object): unknown
}

/**
 * jsdom's selector engine remembers what tests queried: up to jsdom 26, nwsapi (one instance for
 * `querySelector`, one for `matches`, on the document's implementation object) keeps each
 * selector's last results and the last node asked, so a container a test queried stays alive out of
 * the document until the same selector is asked again, and reads as a detached tree. Letting go of
 * those caches before a judging GC changes no query's answer (they are rebuilt on the next query)
 * and spares the re-runs and the heap snapshot that showed it was only that (React Testing Library
 * suites: a heap snapshot of seconds in a file whose test leaks nothing). jsdom 27's engine
 * (@asamuzakjp/dom-selector) holds its results weakly; the last event it keeps is still told by the
 * snapshot's path (rules.ts, `heldByQueryCache`).
 */
export function releaseQueryCaches(dom: DomScope): void {
  const wrapper = dom.document as object
  const impl = Object.getOwnPropertySymbols(wrapper).find((s) => s.description === 'impl')
  const document = impl && (wrapper as Record<symbol, Record<string, unknown> | undefined>)[impl]
  if (!document) return
  for (const engine of [document._nwsapi, document._nwsapiDontThrow] as Array<Partial<Nwsapi> | undefined>) {
    if (typeof engine?.configure !== 'function' || typeof engine.select !== 'function') continue
    try {
      engine.configure({}, true)
      // Its last context is the node asked last: the document from now on.
      engine.select(':root', wrapper)
    } catch {
      // Another engine behind the same names: judging goes on, and the snapshot tells.
    }
  }
}
