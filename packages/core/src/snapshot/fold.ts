import { closurePosition, collectionEntries, describeNode, isInternal } from './describe-node.js'
import type { HeapSnapshot } from './heap-snapshot.js'
import type { PathHop } from './paths.js'
import { retainers } from './retainers.js'
import { ownerOf } from '../stack.js'
import { blockVariableName } from './block-variables.js'

/** One step of a retainer path as a person reads it. Plain data: it goes into JSON reports. */
export interface FoldedStep {
  /** How the previous step holds this one: a property or variable name, `[3]`, a Map's `value`/`key`; '' on the first step. */
  edge: string
  /** What this step is: `module`, `global`, `Map (20,000 entries)`, `Object {a, b}`, `closure onData`. */
  node: string
  /** The module's file, or where a closure's function is written (absolute path). */
  file?: string
  /** 1-based, with `file`, for closures. */
  line?: number
  column?: number
  /** On the last step of a group's path: how many objects of the group, and their retained size in bytes. */
  count?: number
  size?: number
}

/**
 * Folds a path from the GC root into the steps a person needs: everything up to the last module
 * that holds the path is summarised as `module <file>` (the `(GC roots)` chain, the require cache,
 * `exports`, the function whose context holds the variable), V8 internals in between (contexts,
 * hash tables, backing arrays, hidden classes) are stepped over, and the names they carried
 * (closure variables, Map values, property names) label the next visible step.
 */
export function foldPath(s: HeapSnapshot, hops: PathHop[]): FoldedStep[] {
  let anchor = -1
  let first: FoldedStep[] = []
  for (let i = 0; i < hops.length; i++) {
    const node = hops[i]!.node
    const file = moduleFileOf(s, node, hops[i - 1]?.node)
    const position = file || s.nodeType(node) !== 'closure' ? undefined : closurePosition(s, node)
    if (file) {
      anchor = i
      first = [{ edge: '', node: 'module', file }]
    } else if (position && ownerOf(position.file) === 'user') {
      // A closure of the user's own code that no module comes after: what leads to it is the test
      // framework's bookkeeping (its hooks, its worker state), not something the user can change.
      anchor = i
      first = [{ edge: '', node: describeNode(s, node), ...position }]
    }
  }
  return foldHops(s, hops.slice(anchor + 1), first, anchor >= 0 ? hops[anchor]!.node : -1, first[0]?.file)
}

/**
 * A cycle from `foldPath`'s last node back to itself, folded the same way; its last step is the
 * first object again.
 */
export function foldCycle(s: HeapSnapshot, start: number, hops: PathHop[]): FoldedStep[] {
  return foldHops(s, hops, [{ edge: '', node: describeNode(s, start), ...closurePosition(s, start) }], start)
}

function foldHops(s: HeapSnapshot, hops: PathHop[], steps: FoldedStep[], from: number, file?: string): FoldedStep[] {
  let pending: number[] = []
  let holder = from
  for (const hop of hops) {
    pending.push(hop.edge)
    if (isInternal(s, hop.node)) continue
    const position = s.nodeType(hop.node) === 'closure' ? closurePosition(s, hop.node) : undefined
    steps.push({
      edge: steps.length === 0 ? '' : edgeLabel(s, holder, pending, file),
      node: describeNode(s, hop.node),
      ...position,
    })
    pending = []
    holder = hop.node
  }
  return steps
}

/**
 * Names the reference from `holder` (the previous visible node) through the internal edges
 * `edges` to the next visible node.
 */
function edgeLabel(s: HeapSnapshot, holder: number, edges: number[], file: string | undefined): string {
  const last = edges[edges.length - 1]!
  const type = s.edgeType(last)
  const name = s.edgeName(last)
  const source = s.edgeSource(last)
  if (type === 'hidden' && s.nodeName(source) === 'system / Context') {
    const variable = blockVariableName(s, source, last, file)
    if (variable) return variable
  }
  if (holder >= 0 && edges.length === 2 && s.edgeName(edges[0]!) === 'table') {
    const entries = collectionEntries(s, holder)
    if (entries) {
      const place = (Number(name) - entries.firstEntry) % entries.stride
      return entries.stride === 2 ? 'entry' : place === 0 ? 'key' : 'value'
    }
  }
  if (typeof name === 'number' || /^\d+$/.test(name)) return `[${name}]`
  if (type === 'internal' && name.startsWith('part of key')) return 'WeakMap value'
  // A closure variable: the context edge names it even when V8 internals follow it.
  for (let i = edges.length - 1; i >= 0; i--)
    if (s.edgeType(edges[i]!) === 'context') return String(s.edgeName(edges[i]!))
  return name
}

/**
 * The file of a node that stands for a whole module: a CommonJS `Module` object (its `filename`),
 * or a module's top-level context (whose `previous` is the native context), which holds the
 * module's own variables in both CommonJS and ES modules. A context does not name its script, so
 * the file is that of a closure created in it: the hop that led here, or any closure retaining it.
 */
function moduleFileOf(s: HeapSnapshot, node: number, previous: number | undefined): string | undefined {
  const name = s.nodeName(node)
  if (name === 'Module' && s.nodeType(node) === 'object') {
    const filename = s.findEdge(node, 'filename')
    return filename >= 0 && s.nodeType(s.edgeTarget(filename)) === 'string'
      ? s.nodeName(s.edgeTarget(filename))
      : undefined
  }
  if (name !== 'system / Context') return undefined
  const outer = s.findEdge(node, 'previous')
  if (outer < 0) return undefined
  const around = s.edgeTarget(outer)
  if (s.nodeName(around) !== 'system / NativeContext' && !isViteModuleWrapper(s, around)) return undefined
  return closureFile(s, previous) ?? closureFile(s, closureRetaining(s, node))
}

/**
 * Vite's module runner (Vitest) runs a module as `async (__vite_ssr_import__, …) => {{ code }}`:
 * when the module's code uses an import, the wrapper has a context of its own, holding those
 * parameters, and the module's context sits inside it instead of on the native context.
 */
function isViteModuleWrapper(s: HeapSnapshot, context: number): boolean {
  if (s.nodeName(context) !== 'system / Context') return false
  const scopeInfo = s.findEdge(context, 'scope_info')
  if (scopeInfo < 0) return false
  const info = s.edgeTarget(scopeInfo)
  for (let e = s.firstEdge[info]!; e < s.firstEdge[info + 1]!; e++)
    if (s.nodeName(s.edgeTarget(e)).startsWith('__vite_ssr_')) return true
  return false
}

function closureFile(s: HeapSnapshot, node: number | undefined): string | undefined {
  if (node === undefined || s.nodeType(node) !== 'closure') return undefined
  return closurePosition(s, node)?.file
}

function closureRetaining(s: HeapSnapshot, context: number): number | undefined {
  const held = retainers(s)
  for (let r = held.first[context]!; r < held.first[context + 1]!; r++) {
    const from = held.node[r]!
    if (s.nodeType(from) === 'closure') return from
  }
  return undefined
}
