import { join } from 'node:path'
import { beforeAll, describe, expect, test } from 'vitest'
import { groupName, isInternal } from '../src/snapshot/describe-node.js'
import { diffSnapshots } from '../src/snapshot/diff.js'
import { dominators, dominatorTreeOrder } from '../src/snapshot/dominators.js'
import { freedWith } from '../src/snapshot/freed-with.js'
import { GroupIndex } from '../src/snapshot/group-index.js'
import type { HeapSnapshot } from '../src/snapshot/heap-snapshot.js'
import { ObjectIds } from '../src/snapshot/object-ids.js'
import { parseHeapSnapshot, parseObjectIds } from '../src/snapshot/parse.js'
import { makeSnapshots } from './snapshot-helpers.js'

// The pieces of a diff on a real pair of snapshots (2,000 closures, each holding an array, added
// to a module-level Map between the two), each against the plain definition it speeds up.
let before: HeapSnapshot
let after: HeapSnapshot
let beforeIds: ObjectIds
beforeAll(async () => {
  const dir = await makeSnapshots('user-cache', 2000)
  before = await parseHeapSnapshot(join(dir, 'before.heapsnapshot'))
  after = await parseHeapSnapshot(join(dir, 'after.heapsnapshot'))
  beforeIds = await parseObjectIds(join(dir, 'before.heapsnapshot'))
})

const columnsOf = (s: HeapSnapshot) => ({
  ids: Uint32Array.from({ length: s.nodeCount }, (_, n) => s.nodeId(n)),
  types: Uint8Array.from({ length: s.nodeCount }, (_, n) => s.nodeTypeIndex(n)),
  names: Uint32Array.from({ length: s.nodeCount }, (_, n) => s.nodeNameHash(n)),
})

describe('ObjectIds', () => {
  test("a process's first snapshot (ids in steps of 2) is kept dense; ids with gaps hashed; both answer alike", () => {
    const { ids, types, names } = columnsOf(before)
    const dense = ObjectIds.of(ids, types, names)
    expect(dense.layout).toBe('dense')
    expect(beforeIds.layout).toBe('dense')
    // The same objects with ids spread 10× further apart, as after many objects died unseen.
    const spread = ObjectIds.of(
      ids.map((id) => (id % 2 === 1 ? 10 * id + 1 : id)),
      types,
      names,
    )
    expect(spread.layout).toBe('hashed')
    expect(spread.maxStableId).toBe(10 * dense.maxStableId + 1)
    // Asserted once over all ids (an expect per object takes seconds on a busy machine).
    const all = Array.from(ids)
    const odd = all.filter((id) => id % 2 === 1)
    const even = all.filter((id) => id % 2 === 0)
    const signatures = odd.map((id) => dense.signatureOf(id))
    expect(signatures.every((signature) => signature > 0)).toBe(true)
    expect(odd.map((id) => spread.signatureOf(10 * id + 1))).toEqual(signatures)
    expect(even.flatMap((id) => [dense.signatureOf(id), spread.signatureOf(id)]).every((s) => s === -1)).toBe(true)
    const absent = dense.maxStableId + 2 * before.nodeCount
    expect(odd.every((id) => dense.signatureOf(id + absent) === -1)).toBe(true)
    expect(beforeIds.table).toEqual(dense.table)
  })
})

describe('dominatorTreeOrder', () => {
  test("every node's range in preorder lies inside its immediate dominator's", () => {
    const { idom } = dominators(after)
    const { order, size } = dominatorTreeOrder(idom, after.rootNode)
    const position = new Uint32Array(after.nodeCount)
    order.forEach((node, i) => (position[node] = i))
    expect(new Set(order).size).toBe(after.nodeCount)
    expect([order[0], size[0]]).toEqual([after.rootNode, after.nodeCount])
    const outside: number[] = []
    for (let node = 0; node < after.nodeCount; node++) {
      if (node === after.rootNode) continue
      const [at, parent] = [position[node]!, position[idom[node]!]!]
      if (at <= parent || at + size[at]! > parent + size[parent]!) outside.push(node)
    }
    expect(outside).toEqual([])
  })
})

describe('freedWith', () => {
  test("one node's is its retained size in the dominator tree", () => {
    const { retainedSize } = dominators(after)
    const sample = Array.from({ length: 40 }, (_, i) => Math.floor((i * after.nodeCount) / 40))
    expect(sample.map((n) => freedWith(after, [n]))).toEqual(sample.map((n) => retainedSize[n]))
  })
})

describe('GroupIndex', () => {
  test('names every node as groupName does and leaves out what isInternal does', () => {
    const index = new GroupIndex(after)
    const nodes = Array.from({ length: after.nodeCount }, (_, node) => node)
    const named = (node: number): string | undefined => (isInternal(after, node) ? undefined : groupName(after, node))
    expect(nodes.map((node) => index.names[index.of(node)])).toEqual(nodes.map(named))
  })
})

describe('diffSnapshots', () => {
  test("a group's retained size counts each member once: members dominated by another member are left out", () => {
    const { groups, isNew } = diffSnapshots(beforeIds, after)
    const { idom, retainedSize } = dominators(after)
    const index = new GroupIndex(after)
    const expected = new Map<string, number>()
    for (let node = 0; node < after.nodeCount; node++) {
      const g = isNew[node] ? index.of(node) : -1
      if (g < 0) continue
      let dominated = false
      for (let at = idom[node]!; at !== after.rootNode && !dominated; at = idom[at]!)
        dominated = !!isNew[at] && index.of(at) === g
      if (!dominated) expected.set(index.names[g]!, (expected.get(index.names[g]!) ?? 0) + retainedSize[node]!)
    }
    expect(new Map(groups.map((g) => [g.name, g.retainedSize]))).toEqual(expected)
    expect(groups[0]).toMatchObject({ name: 'closure onUserLoaded', count: 2000 })
    const closures = groups[0]!
    expect(index.names[index.of(closures.representative)]).toBe(closures.name)
  })
})
