/**
 * The pure half of the DOM probes: how nodes and event targets are named for people, and how the
 * detached nodes a window left alive are grouped into trees. Written against the few DOM members
 * it reads (no DOM library inside the engine), so jsdom, happy-dom and the unit tests' fakes all fit.
 */

/** The members of a DOM Node this module reads. */
export interface NodeLike {
  nodeType: number
  nodeName: string
  parentNode: NodeLike | null
  isConnected?: boolean
  localName?: string | null
  id?: string
  /** A ShadowRoot's host: a detached shadow tree hangs from it. */
  host?: NodeLike | null
  firstChild?: NodeLike | null
  nextSibling?: NodeLike | null
  getAttribute?: (name: string) => string | null
}

const ELEMENT = 1
const TEXT = 3
const COMMENT = 8
const DOCUMENT = 9
const FRAGMENT = 11

export function isNodeLike(value: unknown): value is NodeLike {
  return (
    typeof value === 'object' &&
    value !== null &&
    typeof (value as NodeLike).nodeType === 'number' &&
    typeof (value as NodeLike).nodeName === 'string'
  )
}

/**
 * A node as a person reads it: `<tr#row-3.selected.odd>` for an element (at most three classes),
 * `#text "Hello"` for text, `#document-fragment`, `#comment`.
 */
export function nodeName(node: NodeLike): string {
  switch (node.nodeType) {
    case ELEMENT: {
      const tag = (node.localName ?? node.nodeName).toLowerCase()
      const id = node.id ? `#${node.id}` : ''
      // className is an SVGAnimatedString on SVG elements: the attribute is a string everywhere.
      const classes = (safely(() => node.getAttribute?.('class')) ?? '').split(/\s+/).filter(Boolean)
      const shown = classes
        .slice(0, 3)
        .map((c) => `.${c}`)
        .join('')
      return `<${tag}${id}${shown}${classes.length > 3 ? '…' : ''}>`
    }
    case TEXT: {
      const text = String((node as { data?: unknown }).data ?? '')
        .replace(/\s+/g, ' ')
        .trim()
      return text ? `#text ${JSON.stringify(text.length > 20 ? `${text.slice(0, 20)}…` : text)}` : '#text'
    }
    case COMMENT:
      return '#comment'
    case FRAGMENT:
      return node.host ? '#shadow-root' : '#document-fragment'
    case DOCUMENT:
      return 'document'
    default:
      return node.nodeName
  }
}

/** The long-lived objects of one DOM window, by identity: what `window`, `document`, … are called. */
export interface DomGlobals {
  /** The objects tests reach as `window` (Vitest's global and the DOM implementation's window may differ). */
  windows: readonly object[]
  document: NodeLike & { body?: NodeLike | null; head?: NodeLike | null; documentElement?: NodeLike | null }
}

/** An event target as a person reads it: `window`, `document`, `document.body`, `<div#app>`. */
export function targetName(target: object, globals: DomGlobals): string {
  if (globals.windows.includes(target)) return 'window'
  const doc = globals.document
  if (target === doc) return 'document'
  if (target === safely(() => doc.body)) return 'document.body'
  if (target === safely(() => doc.head)) return 'document.head'
  if (target === safely(() => doc.documentElement)) return 'document.documentElement'
  if (isNodeLike(target)) return nodeName(target)
  return (target as { constructor?: { name?: string } }).constructor?.name || 'EventTarget'
}

/**
 * The topmost ancestor of a detached node: up through parents, and from a shadow root to its host.
 * That is what keeps the whole tree alive together with whatever the leak holds on to.
 */
export function detachedRoot(node: NodeLike): NodeLike {
  let current = node
  for (;;) {
    const parent =
      safely(() => current.parentNode) ?? (current.nodeType === FRAGMENT ? (safely(() => current.host) ?? null) : null)
    if (!parent) return current
    current = parent
  }
}

/** Nodes in the tree under `root` (itself included), counted up to `limit`. */
export function countNodes(root: NodeLike, limit = 100_000): number {
  let count = 0
  const stack: NodeLike[] = [root]
  while (stack.length > 0 && count < limit) {
    const node = stack.pop()!
    count++
    for (let child = safely(() => node.firstChild) ?? null; child; child = safely(() => child!.nextSibling) ?? null)
      stack.push(child)
  }
  return count
}

export interface DetachedTree<T> {
  root: NodeLike
  /** The record of the node that stands for the tree: the root's own, else the first made of its nodes. */
  record: T
  /** Nodes in the tree (all of them, also those made before the window or by the parser). */
  nodes: number
}

/**
 * Groups detached nodes into trees by their topmost ancestor, in the order the nodes were made.
 * `alive` pairs each node (alive and not connected) with its creation record.
 */
export function groupDetached<T>(alive: Array<{ node: NodeLike; record: T }>): Array<DetachedTree<T>> {
  const trees = new Map<NodeLike, DetachedTree<T>>()
  for (const { node, record } of alive) {
    const root = detachedRoot(node)
    const tree = trees.get(root)
    if (!tree) trees.set(root, { root, record, nodes: 0 })
    // The root's own record says best where the tree was made.
    else if (node === root) tree.record = record
  }
  for (const tree of trees.values()) tree.nodes = countNodes(tree.root)
  return [...trees.values()]
}

function safely<T>(read: () => T): T | undefined {
  try {
    return read()
  } catch {
    return undefined
  }
}
