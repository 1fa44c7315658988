import { groupName, isInternal } from './describe-node.js'
import { dominators } from './dominators.js'
import { SnapshotError } from './errors.js'
import type { HeapSnapshot } from './heap-snapshot.js'
import { ObjectIds, signature } from './object-ids.js'
import { shortestPaths } from './paths.js'

/** Objects of one kind that are alive in the second snapshot only. */
export interface ObjectGroup {
  /** `Object {requestId, name, tags}`, `closure onData`, `Array`, `string`, `Map`, a class name. */
  name: string
  count: number
  /** Sum of the members' own sizes, in bytes. */
  selfSize: number
  /** What freeing the whole group frees: the retained sizes of members no other member dominates. */
  retainedSize: number
  /** Node ordinals in the second snapshot, the one retaining most first, then the nearest to a GC root. */
  members: number[]
}

export interface SnapshotDiff {
  groups: ObjectGroup[]
  /** 1 for each node of `after` that is new (internals included): where a leak's cycles can run. */
  isNew: Uint8Array
}

/**
 * The objects alive in `after` whose V8 id is absent from `before`, V8 internals left out, grouped
 * by {@link groupName} and sorted by retained size. Both snapshots must come from one isolate
 * (V8 keeps an object's id for its whole life there); see {@link assertSameIsolate}. Of `before`
 * only the ids, types and names are read: pass it as {@link ObjectIds} (parseObjectIds) to never
 * hold its graph.
 */
export function diffSnapshots(beforeSnapshot: HeapSnapshot | ObjectIds, after: HeapSnapshot): SnapshotDiff {
  const before = beforeSnapshot instanceof ObjectIds ? beforeSnapshot : objectIdsOf(beforeSnapshot)
  const isNew = new Uint8Array(after.nodeCount)
  refuseOtherIsolates(compareIds(before, after, isNew))
  const { retainedSize, idom } = dominators(after)
  const { distance } = shortestPaths(after)
  const byName = new Map<string, ObjectGroup>()
  for (let node = 0; node < after.nodeCount; node++) {
    if (!isNew[node] || isInternal(after, node)) continue
    const name = groupName(after, node)
    let group = byName.get(name)
    if (!group) byName.set(name, (group = { name, count: 0, selfSize: 0, retainedSize: 0, members: [] }))
    group.count++
    group.selfSize += after.selfSize(node)
    group.members.push(node)
  }
  const groups = [...byName.values()]
  const scratch = { under: new Uint8Array(after.nodeCount), member: new Uint8Array(after.nodeCount) }
  for (const group of groups) {
    group.retainedSize = retainedByGroup(after, group.members, idom, retainedSize, scratch)
    // The member that holds the most first (its path is where the bytes are: a new array of
    // 2 MB, not a new small array of the framework's that happens to sit nearer a root), then the nearest.
    group.members.sort((a, b) => retainedSize[b]! - retainedSize[a]! || distance[a]! - distance[b]!)
  }
  groups.sort((a, b) => b.retainedSize - a.retainedSize || b.count - a.count)
  return { groups, isNew }
}

/**
 * Sum of retained sizes of the members not dominated by another member (a member inside another's
 * retained size would be counted twice). Each dominator-tree walk stops at the first node whose
 * answer is known and records the answer for every node it passed, so the work is linear even
 * when members form one long chain.
 */
function retainedByGroup(
  s: HeapSnapshot,
  members: number[],
  idom: Uint32Array,
  retainedSize: Float64Array,
  { under, member }: { under: Uint8Array; member: Uint8Array },
): number {
  // `under`: is some strict dominator of the node a member? 0 not known yet, then UNDER or FREE.
  // Typed arrays shared by all groups (left zeroed), not a Set and a Map per group: a group can
  // have hundreds of thousands of members.
  for (const node of members) member[node] = 1
  const walked: number[] = []
  const answered: number[] = []
  let total = 0
  for (const node of members) {
    let answer = FREE
    walked.length = 0
    for (let at = idom[node]!; ; at = idom[at]!) {
      if (member[at]) {
        answer = UNDER
        break
      }
      if (under[at]) {
        answer = under[at]!
        break
      }
      if (at === s.rootNode) break
      walked.push(at)
    }
    for (const n of walked) {
      under[n] = answer
      answered.push(n)
    }
    under[node] = answer
    if (answer === FREE) total += retainedSize[node]!
  }
  for (const node of members) member[node] = under[node] = 0
  for (const node of answered) under[node] = 0
  return total
}

const UNDER = 1
const FREE = 2

/**
 * V8 numbers the objects of its own heap with odd ids, handed out in increasing order and kept for
 * the object's life. Even ids belong to embedder (C++) nodes such as `Node / Environment` and the
 * synthetic roots; they are derived from addresses and not comparable across snapshots.
 */
function isStableId(id: number): boolean {
  return id % 2 === 1
}

/**
 * Share of comparable objects that must agree for two snapshots to count as one isolate's. In one
 * isolate the agreement is exact (ids are never reused, an object keeps its type and name); two
 * runs of the same program share id ranges but diverge on what sits at each id.
 */
const SAME_ISOLATE_AGREEMENT = 0.95

/** How the ids of `after` compare with those of `before`. */
interface IdComparison {
  maxBefore: number
  maxAfter: number
  /** Objects of `after` old enough to be in `before` (stable id ≤ its highest). */
  compared: number
  /** Of those, the ones `before` has with the same type and name. */
  agreeing: number
}

/**
 * One pass over `after`'s objects, one table lookup each: marks in `isNew` the stable ids
 * `before` lacks, and counts how many older objects agree (see {@link assertSameIsolate}).
 */
function compareIds(before: ObjectIds, after: HeapSnapshot, isNew: Uint8Array): IdComparison {
  const maxBefore = before.maxStableId
  let maxAfter = 0
  let compared = 0
  let agreeing = 0
  for (let n = 0; n < after.nodeCount; n++) {
    const id = after.nodeId(n)
    if (!isStableId(id)) continue
    if (id > maxAfter) maxAfter = id
    const old = before.signatureOf(id)
    if (old < 0) isNew[n] = 1
    if (id > maxBefore) continue
    compared++
    if (old === signature(after.nodeTypeIndex(n), after.nodeNameHash(n))) agreeing++
  }
  return { maxBefore, maxAfter, compared, agreeing }
}

/**
 * Throws `LEAKPROOF_SNAPSHOT_MISMATCH` unless `after` was taken later in the same isolate as
 * `before`. V8 hands out object ids in increasing order and never reuses one, so every object of
 * `after` whose id is at most the highest id of `before` already existed then and must be in
 * `before` with the same type and name. Snapshots of two processes (even of one program) fail
 * that on a large share of objects; snapshots taken in the wrong order fail the highest-id test.
 */
export function assertSameIsolate(before: ObjectIds, after: HeapSnapshot): void {
  refuseOtherIsolates(compareIds(before, after, new Uint8Array(after.nodeCount)))
}

function refuseOtherIsolates({ maxBefore, maxAfter, compared, agreeing }: IdComparison): void {
  const agreement = compared === 0 ? 1 : agreeing / compared
  if (maxAfter < maxBefore || agreement < SAME_ISOLATE_AGREEMENT) {
    throw new SnapshotError(
      'LEAKPROOF_SNAPSHOT_MISMATCH',
      `the two heap snapshots are not "before" and "after" of one process: ${maxAfter < maxBefore ? 'the second has lower object ids than the first (swapped, or another process)' : `only ${(agreement * 100).toFixed(1)}% of the second's older objects match the first (one process gives 100%)`}. Object ids only match within one process (one worker thread): take both snapshots there, the first one first.`,
    )
  }
}

/** The reduced form of a whole snapshot, for a diff given two of them. */
export function objectIdsOf(s: HeapSnapshot): ObjectIds {
  const ids = new Uint32Array(s.nodeCount)
  const types = new Uint8Array(s.nodeCount)
  const names = new Uint32Array(s.nodeCount)
  for (let n = 0; n < s.nodeCount; n++) {
    ids[n] = s.nodeId(n)
    types[n] = s.nodeTypeIndex(n)
    names[n] = s.nodeNameHash(n)
  }
  return ObjectIds.of(ids, types, names)
}
