import { readFileSync } from 'node:fs'
import type { HeapSnapshot } from './heap-snapshot.js'

/**
 * V8 names a context's variables in a heap snapshot only for function and script contexts. A block's
 * context gets `hidden` edges instead, one per slot holding an object — and Vitest runs every module
 * inside a block (`async (…) => {{ module code }}`), so a module's own variables arrive unnamed.
 * The context's ScopeInfo still lists the names: this puts them back — the one name the module's
 * source declares with a value of that kind, else by slot number where the function declarations
 * confirm it, else by order around those declarations, else the candidates listed.
 */
export function blockVariableName(
  s: HeapSnapshot,
  context: number,
  edge: number,
  file: string | undefined,
): string | undefined {
  const scopeInfo = s.findEdge(context, 'scope_info')
  if (scopeInfo < 0) return undefined
  const names = hiddenTargets(s, s.edgeTarget(scopeInfo))
    .filter((n) => s.nodeType(n) === 'string')
    .map((n) => s.nodeName(n))
    .filter((n) => !/^[.#]/.test(n))
  const slots = hiddenEdges(s, context)
  const at = slots.indexOf(edge)
  if (at < 0 || names.length === 0) return undefined
  if (slots.length === names.length) return names[at]
  // The one variable the module's source declares with a value of this kind (`const kept = []`)
  // is the surest answer: edge numbers are not always slot numbers.
  const target = s.edgeTarget(edge)
  const declaredHere = file
    ? names.filter((name) => declaredAs(file, name, s.nodeType(target), s.nodeName(target)))
    : []
  if (declaredHere.length === 1) return declaredHere[0]
  // Usually an edge's number is its slot, slots holding no object (a small integer, `undefined`)
  // leaving gaps: trust that when every function declaration among the slots sits at its own name.
  const slotOf = (e: number): number => Number(s.edgeName(e))
  const declarationsAgree = slots.every((e) => {
    const target = s.edgeTarget(e)
    return (
      s.nodeType(target) !== 'closure' || !names.includes(s.nodeName(target)) || names[slotOf(e)] === s.nodeName(target)
    )
  })
  if (declarationsAgree && names[slotOf(edge)] !== undefined) return names[slotOf(edge)]
  // Closures declared as functions hold their own name's slot: they pin the order down around them.
  let low = 0
  let high = names.length
  for (let k = 0; k < slots.length; k++) {
    const target = s.edgeTarget(slots[k]!)
    const index = s.nodeType(target) === 'closure' ? names.indexOf(s.nodeName(target)) : -1
    if (index < 0) continue
    if (k === at) return names[index]
    if (k < at) low = Math.max(low, index + 1)
    else high = Math.min(high, index)
  }
  const candidates = names.slice(low, high)
  if (candidates.length === 1) return candidates[0]
  const declared = candidates.filter((name) => declaredHere.includes(name))
  if (declared.length === 1) return declared[0]
  return candidates.length > 0 && candidates.length <= 3 ? candidates.join(' or ') : undefined
}

function hiddenEdges(s: HeapSnapshot, node: number): number[] {
  const edges: number[] = []
  for (let e = s.firstEdge[node]!; e < s.firstEdge[node + 1]!; e++) if (s.edgeType(e) === 'hidden') edges.push(e)
  return edges
}

function hiddenTargets(s: HeapSnapshot, node: number): number[] {
  return hiddenEdges(s, node).map((e) => s.edgeTarget(e))
}

const sources = new Map<string, string>()

/** Whether the source declares `name` with a value of this kind: `const cache = new Map(`, `let rows = [`. */
function declaredAs(file: string, name: string, type: string, className: string): boolean {
  let source = sources.get(file)
  if (source === undefined) {
    try {
      source = readFileSync(file, 'utf8')
    } catch {
      source = ''
    }
    sources.set(file, source)
  }
  const value =
    type === 'array' || className === 'Array'
      ? String.raw`\[`
      : className === 'Object'
        ? String.raw`\{`
        : String.raw`new\s+${className.replace(/[^\w$]/g, '')}\b`
  return new RegExp(String.raw`\b(?:const|let|var)\s+${name.replace(/[^\w$]/g, '')}\b[^=;\n]*=\s*${value}`).test(source)
}
