import type { HeapSnapshot } from './heap-snapshot.js'

/**
 * Which edges keep their target alive. Dominators, retained sizes, retainer paths and cycle
 * detection all walk the same graph, so they all read the mask built here.
 *
 * Each rule is small and says why. An edge rule names the one edge type it is about (so the
 * millions of edges of other types are never asked); a holder rule is asked once per node, about
 * all of its edges. An edge retains unless a rule says it does not.
 */
interface EdgeRule {
  edgeType: string
  /** The rule is about edges whose name contains this only: the others are never asked (a byte read per edge). */
  nameIncludes?: string
  why: string
  notRetaining: (snapshot: HeapSnapshot, from: number, edge: number) => boolean
}

/** Nodes named `holder` hold nothing: compared by string index, found once per snapshot. */
interface HolderRule {
  why: string
  holder: string
}

/** Also read by paths.ts: the edges it clears lead to the WeakMap tables (see {@link weakMapTableCopies}). */
const WEAKMAP_TABLE_COPY: EdgeRule = {
  edgeType: 'internal',
  nameIncludes: 'part of key',
  why: "V8 writes a WeakMap entry's value twice: from its key and from the table. Only the key keeps the value alive (an ephemeron), so the table's copy of the edge would make every WeakMap value look retained by the WeakMap",
  notRetaining: (s, from, e) => isWeakMapValueEdgeFromOtherThanKey(s, from, e),
}

const rules: EdgeRule[] = [
  {
    edgeType: 'weak',
    why: 'weak references (WeakRef targets, WeakMap keys, FinalizationRegistry cells, ephemeron slots) never retain',
    notRetaining: () => true,
  },
  {
    edgeType: 'shortcut',
    why: "shortcut edges duplicate a longer real path; only the root's shortcuts (to the global objects) mark real roots, as in DevTools",
    notRetaining: (s, from) => from !== s.rootNode,
  },
  WEAKMAP_TABLE_COPY,
]

const holderRules: HolderRule[] = [
  {
    why: "Node's cleanup queue lists every vm context that is not collected yet, to dispose of it at exit: it does not keep one alive (the snapshot draws the entry as an edge), and through it every vm context would look held by Node",
    holder: 'Node / CleanupQueue',
  },
]

/** `part of key (Object @123) -> value (Object @125) pair in WeakMap (table @77)`, after `4 / ` on newer V8s. */
const WEAKMAP_PAIR = /^(?:\d+ \/ )?part of key \(.* @(\d+)\) -> value \(.* @\d+\) pair in WeakMap/

function isWeakMapValueEdgeFromOtherThanKey(s: HeapSnapshot, from: number, e: number): boolean {
  const key = WEAKMAP_PAIR.exec(String(s.edgeName(e)))
  return key !== null && Number(key[1]) !== s.nodeId(from)
}

/** What the mask loop asks of an edge of one type: nothing, every rule of it, or only when its name passes. */
const NO_RULES = 0
const ASK_EVERY_EDGE = 1
const ASK_BY_NAME = 2

const masks = new WeakMap<HeapSnapshot, Uint8Array>()
const tableCopies = new WeakMap<HeapSnapshot, number[]>()

/**
 * The WeakMap tables' copies of their entries' edges, as `table, edge` pairs: the edges
 * {@link WEAKMAP_TABLE_COPY} found not retaining, kept as the mask is built (no second pass).
 */
export function weakMapTableCopies(snapshot: HeapSnapshot): readonly number[] {
  retainingEdges(snapshot)
  return tableCopies.get(snapshot)!
}

/** 1 for each edge that keeps its target alive. Built once per snapshot (one byte per edge). */
export function retainingEdges(snapshot: HeapSnapshot): Uint8Array {
  let mask = masks.get(snapshot)
  if (mask) return mask
  const rulesOfType = snapshot.edgeTypes.map((type) => rules.filter((r) => r.edgeType === type))
  // A byte per edge type: the loop reads it for every edge, and asks no rule of most of them.
  const planOfType = Uint8Array.from(rulesOfType, (ofType) =>
    ofType.length === 0 ? NO_RULES : ofType.every((r) => r.nameIncludes !== undefined) ? ASK_BY_NAME : ASK_EVERY_EDGE,
  )
  // Per type asked by name, 1 for each string some rule of it is about.
  const namesOfType = rulesOfType.map((ofType, type) =>
    planOfType[type] === ASK_BY_NAME
      ? union(ofType.map((rule) => snapshot.stringsContaining(rule.nameIncludes!)))
      : new Uint8Array(0),
  )
  // One byte per string, 1 for a holder rule's name: a byte read per node.
  const holderName = new Uint8Array(snapshot.strings.count)
  for (const { holder } of holderRules) {
    const at = snapshot.strings.find(holder)
    if (at >= 0) holderName[at] = 1
  }
  mask = new Uint8Array(snapshot.edgeCount).fill(1)
  const asked = edgesToAsk(snapshot, planOfType, namesOfType, holderName, mask)
  const copies: number[] = []
  for (let i = 0; i < asked.length; i += 2) {
    const from = asked[i]!
    const e = asked[i + 1]!
    for (const rule of rulesOfType[snapshot.edgeTypeIndexes[e]!]!) {
      const named = rule.nameIncludes === undefined || snapshot.edgeNameIncludes(e, rule.nameIncludes)
      if (!named || !rule.notRetaining(snapshot, from, e)) continue
      mask[e] = 0
      if (rule === WEAKMAP_TABLE_COPY) copies.push(from, e)
    }
  }
  masks.set(snapshot, mask)
  tableCopies.set(snapshot, copies)
  return mask
}

/** 1 where any of the byte tables (of one length) has a 1. */
function union(tables: Uint8Array[]): Uint8Array {
  if (tables.length === 1) return tables[0]!
  const all = new Uint8Array(tables[0]!.length)
  for (const table of tables) for (let i = 0; i < table.length; i++) all[i]! |= table[i]!
  return all
}

/**
 * The loop over every edge: clears the holders' edges in `mask` and returns the edges some rule
 * must be asked about, as `from, edge` pairs. Typed arrays and numbers only, no rule closures:
 * run once per snapshot, it spends most of its time in V8's interpreter until TurboFan has
 * compiled it, and a loop that calls into closures and objects compiles for longer and
 * deoptimizes on their first new shape (asking rules of every internal edge of a 20 MB snapshot
 * took 32 ms).
 */
function edgesToAsk(
  { nodeCount, firstEdge, edgeTypeIndexes, edgeNamesOrIndexes, nodeNameIndexes }: HeapSnapshot,
  planOfType: Uint8Array,
  namesOfType: Uint8Array[],
  holderName: Uint8Array,
  mask: Uint8Array,
): number[] {
  const asked: number[] = []
  for (let from = 0; from < nodeCount; from++) {
    const start = firstEdge[from]!
    const end = firstEdge[from + 1]!
    if (start === end) continue
    if (holderName[nodeNameIndexes[from]!]) {
      mask.fill(0, start, end)
      continue
    }
    for (let e = start; e < end; e++) {
      const type = edgeTypeIndexes[e]!
      const plan = planOfType[type]!
      if (plan === NO_RULES || (plan === ASK_BY_NAME && !namesOfType[type]![edgeNamesOrIndexes[e]!])) continue
      asked.push(from, e)
    }
  }
  return asked
}
