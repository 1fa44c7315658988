/**
 * The probes, behind one interface the detector loops over (as Shark's ObjectInspector list): each
 * records what a window makes of one sort, says what of it is still there, and forgets a window.
 * `collect` never forgets: the detector asks again after a re-run, and only `drop` ends a window's
 * records.
 */
import type { FindingData } from '../findings.js'
import { blameFrame, parseStack } from '../stack.js'
import type { Window } from '../window.js'
import {
  collectDetached,
  collectDomListeners,
  sealDomListeners,
  domFindingKey,
  dropDomRecords,
  enableDomProbe,
  type DetachedGroup,
  type DomScope,
} from './dom.js'
import { collectGlobals } from './globals.js'
import { collectHandles, dropHandles, enableHandleProbe, sealHandles } from './handles.js'
import { collectListeners, dropListeners, enableListenerProbe, sealListeners } from './listeners.js'
import type { WindowRef } from './window-ref.js'

export type Found = FindingData

export interface Probe {
  /** What `window` made that is still there now: handles open, listeners registered, objects alive. */
  collect(window: Window): Found[]
  /** Forgets what `window` recorded. */
  drop(window: WindowRef): void
  /**
   * At the window's end: keeps only what may still be found, so that nothing it recorded keeps an
   * object alive while the window waits to be judged.
   */
  seal?(window: Window): void
  /**
   * When a test's window closes, however it is then judged (waiting, on its one run, skipped), and
   * when a re-run's scratch window does: records let go of what they hold only until then (stacks
   * not formatted yet).
   */
  closed?(window: Window): void
  /** Its records are of objects that may be garbage: only after a full GC does `collect` tell. */
  readonly afterGc: boolean
}

/** The same thing made by two runs of a test: same sort, same target, made at the same line. */
export function findingKey(f: Found): string {
  const at = (l: { file: string; line: number; column: number } | undefined): string =>
    l ? `${l.file}:${l.line}:${l.column}` : ''
  switch (f.kind) {
    case 'handle':
      return `handle\0${f.type}\0${at(f.createdAt)}`
    case 'listener':
    case 'dom':
      return domFindingKey(f)
    case 'global':
      return `global\0${f.name}`
    case 'watched':
      return `watched\0${f.label}\0${at(f.watchedAt)}`
    case 'retained':
      return 'retained'
    case 'environment':
      return `environment\0${at(f.createdAt)}`
  }
}

export interface ProbeSettings {
  handles: boolean
  listeners: boolean
  globals: boolean
  dom: boolean
  watched: boolean
  /** The global object tests run against. */
  scope: object
  isHostGlobal: (name: string) => boolean
}

export interface Probes {
  list: Probe[]
  /** The DOM tests run against (jsdom, happy-dom), when there is one. */
  dom: DomScope | undefined
  /** The object behind a finding of an object still alive (a watched object, a detached tree's root), for the snapshot that explains it. */
  objectOf: WeakMap<Found, WeakRef<object>>
}

/** Turns on the probes the options ask for (each patches what it watches once per process). */
export function enableProbes(settings: ProbeSettings): Probes {
  const list: Probe[] = []
  const objectOf = new WeakMap<Found, WeakRef<object>>()
  if (settings.handles) {
    enableHandleProbe(settings.scope)
    list.push({ collect: collectHandles, drop: dropHandles, seal: sealHandles, afterGc: false })
  }
  if (settings.listeners) {
    enableListenerProbe()
    list.push({ collect: collectListeners, drop: dropListeners, seal: sealListeners, afterGc: false })
  }
  if (settings.globals) {
    const { scope, isHostGlobal } = settings
    const found = (w: Window): Found[] => collectGlobals(scope, w.globals, isHostGlobal, w.rerunOf !== undefined)
    // The globals a window made, as they were at its end: one that a later test adds while this
    // window waits for its verdict is that test's.
    const madeBy = new WeakMap<WindowRef, Set<string>>()
    list.push({
      collect: (w) => found(w).filter((f) => f.kind === 'global' && (madeBy.get(w)?.has(f.name) ?? true)),
      seal: (w) => void madeBy.set(w, new Set(found(w).map((f) => (f.kind === 'global' ? f.name : '')))),
      drop: (w) => void madeBy.delete(w),
      afterGc: false,
    })
  }
  const dom =
    settings.listeners || settings.dom
      ? enableDomProbe(settings.scope, { listeners: settings.listeners, nodes: settings.dom })
      : undefined
  if (dom && settings.listeners) {
    // A DOM listener on the window, the document or a node in it is there or not: exact. One on a
    // node out of the document goes with the node (a detached tree, judged after a GC).
    list.push({
      collect: (w) => collectDomListeners(w, dom),
      closed: (w) => sealDomListeners(w, dom),
      drop: () => {},
      afterGc: false,
    })
  }
  if (dom && settings.dom) {
    const collect = (w: Window): Found[] =>
      collectDetached(w).map((group: DetachedGroup) => (objectOf.set(group.finding, group.root), group.finding))
    list.push({ collect, drop: dropDomRecords, afterGc: true })
  } else if (dom) {
    list.push({ collect: () => [], drop: dropDomRecords, afterGc: true })
  }
  if (settings.watched) {
    // `leaks.watch()`ed objects still alive.
    const collect = (window: Window): Found[] =>
      window.watched.flatMap((w) => {
        if (w.ref.deref() === undefined) return []
        const finding: Found = { kind: 'watched', label: w.label, watchedAt: blameFrame(parseStack(w.trace.stack)) }
        objectOf.set(finding, w.ref)
        return [finding]
      })
    list.push({
      collect,
      drop: () => {},
      seal: (window) => window.watched.forEach((w) => void w.trace.stack),
      afterGc: true,
    })
  }
  return { list, dom, objectOf }
}
