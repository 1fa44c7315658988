import { groupName, isInternal, isNamedByProperties } from './describe-node.js'
import type { HeapSnapshot } from './heap-snapshot.js'

/** A plain object's group depends on its property names: looked up per object. */
const BY_PROPERTIES = -2
/** Property edges beyond which a plain object is named by {@link groupName} itself (not memoised). */
const MAX_KEYED_PROPERTIES = 16

/**
 * The group of each object of a diff ({@link groupName}), and whether it is a V8 internal
 * ({@link isInternal}), without deciding either anew per object: both depend only on the node's
 * type and name (a number each), except a plain object's property names (its property edges' name
 * indices) and a string's holders (asked per string). A diff asks this of every new object: on
 * bench:diff's pair, 471,000 of them, whose names and property names were decoded one by one.
 * describe-node.ts stays the one place that says what a group is: each new key is named by it.
 */
export class GroupIndex {
  /** Group names by index. */
  readonly names: string[] = []
  private readonly byName = new Map<string, number>()
  /** By type index, then name index (small integers, cheap keys): a group index, -1 for an internal, or {@link BY_PROPERTIES}. */
  private readonly byTypeAndName: Array<Map<number, number>>
  /** By the object's name index and property edge name indices. */
  private readonly byProperties = new Map<string, number>()
  private readonly stringType: number
  private readonly propertyType: number

  constructor(private readonly s: HeapSnapshot) {
    this.stringType = s.nodeTypes.indexOf('string')
    this.propertyType = s.edgeTypes.indexOf('property')
    this.byTypeAndName = s.nodeTypes.map(() => new Map())
  }

  /** The group index of `node`, or -1 when it is a V8 internal (left out of diffs). */
  of(node: number): number {
    const s = this.s
    const type = s.nodeTypeIndex(node)
    // A string is internal when only the halves of concatenated (or parents of sliced) strings hold it.
    if (type === this.stringType) return isInternal(s, node) ? -1 : this.named(groupName(s, node))
    const byName = this.byTypeAndName[type] ?? new Map<number, number>()
    const name = s.nodeNameIndex(node)
    let group = byName.get(name)
    if (group === undefined) {
      group = isInternal(s, node)
        ? -1
        : isNamedByProperties(s.nodeType(node), s.nodeName(node))
          ? BY_PROPERTIES
          : this.named(groupName(s, node))
      byName.set(name, group)
    }
    return group === BY_PROPERTIES ? this.byPropertyNames(node) : group
  }

  private byPropertyNames(node: number): number {
    const s = this.s
    let key = String(s.nodeNameIndex(node))
    let properties = 0
    for (let e = s.firstEdge[node]!, end = s.firstEdge[node + 1]!; e < end; e++) {
      if (s.edgeTypeIndex(e) !== this.propertyType) continue
      if (++properties > MAX_KEYED_PROPERTIES) return this.named(groupName(s, node))
      key += `,${s.edgeNameOrIndex(e)}`
    }
    let group = this.byProperties.get(key)
    if (group === undefined) this.byProperties.set(key, (group = this.named(groupName(s, node))))
    return group
  }

  private named(name: string): number {
    let group = this.byName.get(name)
    if (group === undefined) {
      group = this.names.length
      this.names.push(name)
      this.byName.set(name, group)
    }
    return group
  }
}
