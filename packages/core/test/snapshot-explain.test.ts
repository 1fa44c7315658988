import { statSync } from 'node:fs'
import { join } from 'node:path'
import { beforeAll, describe, expect, test } from 'vitest'
import { explainLeak, parseHeapSnapshot, type Explanation } from '../src/index.js'
import { explainObjectsIn } from '../src/snapshot/explain.js'
import { dominators } from '../src/snapshot/dominators.js'
import { contextSize } from '../src/snapshot/object-path.js'
import { freedWith } from '../src/snapshot/freed-with.js'
import { coreRoot, makeSnapshots } from './snapshot-helpers.js'

const N = 2000

describe('a module-level Map of closures holding arrays', () => {
  let dir: string
  let explanation: Explanation
  beforeAll(async () => {
    dir = await makeSnapshots('user-cache', N)
    explanation = await explainLeak({
      before: join(dir, 'before.heapsnapshot'),
      after: join(dir, 'after.heapsnapshot'),
      root: coreRoot,
      maxGroups: 5,
      maxPaths: 2,
      parseIn: 'in-process',
    })
  })

  test('the biggest new group is the closures, one per entry added by the second run', () => {
    const [top, second] = explanation.groups
    expect(top).toMatchObject({ name: 'closure onUserLoaded', count: N })
    // Each closure retains its context and its 16-slot array: more than its own 56-64 bytes.
    expect(top!.retainedSize).toBeGreaterThan(top!.selfSize + second!.retainedSize / 2)
    expect(second).toMatchObject({ name: 'Array', count: N })
  })

  test('the path names the module, the variable, the Map and the closure with its line', () => {
    expect(explanation.text).toContain(
      [
        '  retained by (shortest path from a GC root)',
        '    module test/fixtures/snapshot/user-cache.cjs',
        `      → cache  Map (${(2 * N).toLocaleString('en-US')} entries)`,
        `        → value  closure onUserLoaded  test/fixtures/snapshot/user-cache.cjs:7:`,
      ].join('\n'),
    )
    expect(explanation.text).toMatch(new RegExp(`×${N.toLocaleString('en-US')}  \\d+ KB\\n`))
  })

  test("the array group's path goes on through the closure variable that holds it", () => {
    const arrays = explanation.paths.find((p) => p.group === 'Array')!
    expect(arrays.steps.map((s) => `${s.edge} ${s.node}`)).toEqual([
      ' module',
      'cache Map (4,000 entries)',
      'value closure onUserLoaded',
      'history Array',
    ])
    expect(arrays.steps.at(-1)).toMatchObject({ count: N })
    expect(arrays.cycle).toBeUndefined()
  })

  test('the result is plain JSON and says where it was parsed', () => {
    expect(JSON.parse(JSON.stringify(explanation))).toEqual(explanation)
    expect(explanation.parsedIn.where).toBe('in-process')
  })

  test('parsed in a child process, the answer is the same, and progress still reaches the caller', async () => {
    const progress: Array<[number, number]> = []
    const inChild = await explainLeak({
      before: join(dir, 'before.heapsnapshot'),
      after: join(dir, 'after.heapsnapshot'),
      root: coreRoot,
      maxGroups: 5,
      maxPaths: 2,
      parseIn: 'child-process',
      onProgress: (read, total) => progress.push([read, total]),
    })
    expect(inChild.parsedIn.where).toBe('child-process')
    expect({ ...inChild, parsedIn: undefined }).toEqual({ ...explanation, parsedIn: undefined })
    const bothFiles = statSync(join(dir, 'before.heapsnapshot')).size + statSync(join(dir, 'after.heapsnapshot')).size
    expect(progress.at(-1)).toEqual([bothFiles, bothFiles])
    expect(progress.every(([read, total], i) => total === bothFiles && read >= (progress[i - 1]?.[0] ?? 0))).toBe(true)
  })

  test("each path names its object's V8 id in the after snapshot", async () => {
    const after = await parseHeapSnapshot(join(dir, 'after.heapsnapshot'))
    for (const path of explanation.paths) expect(after.nodeOfId(path.id)).toBeGreaterThanOrEqual(0)
    expect(new Set(explanation.paths.map((p) => p.id)).size).toBe(explanation.paths.length)
  })
})

describe('a retained cycle', () => {
  test('is reported with the references that close it', async () => {
    const dir = await makeSnapshots('ring', 500)
    const e = await explainLeak({
      before: join(dir, 'before.heapsnapshot'),
      after: join(dir, 'after.heapsnapshot'),
      root: coreRoot,
      parseIn: 'in-process',
    })
    expect(e.groups[0]).toMatchObject({ name: 'Object {id, side, peer}', count: 1000 })
    const path = e.paths[0]!
    expect(path.steps.map((s) => `${s.edge} ${s.node}`)).toEqual([
      ' module',
      'rings Array',
      '[0] Object {id, side, peer}'.replace('[0]', path.steps[2]!.edge),
    ])
    expect(path.cycle?.map((s) => `${s.edge} ${s.node}`)).toEqual([
      ' Object {id, side, peer}',
      'peer Object {id, side, peer}',
      'peer Object {id, side, peer}',
    ])
    expect(e.text).toContain('form a retained cycle')
  })
})

describe('values of a WeakMap whose keys are nearer a GC root than the WeakMap', () => {
  test("are held by the WeakMap's path: a value lives only while its key and its WeakMap do", async () => {
    const dir = await makeSnapshots('weakmap-cache', 500)
    const e = await explainLeak({
      before: join(dir, 'before.heapsnapshot'),
      after: join(dir, 'after.heapsnapshot'),
      root: coreRoot,
      parseIn: 'in-process',
    })
    const value = e.paths.find((p) => p.group === 'Object {valueOf}')!
    expect(value.steps.map((s) => s.edge).slice(1, 4)).toEqual(['registry', 'stores', 'byKey'])
  })
})

describe('a module run inside a block, as Vitest runs modules', () => {
  test('its variables keep their names: ScopeInfo order, closures as anchors, the source for the rest', async () => {
    const dir = await makeSnapshots('block-module', 500)
    const { text } = await explainLeak({
      before: join(dir, 'before.heapsnapshot'),
      after: join(dir, 'after.heapsnapshot'),
      root: coreRoot,
      maxPaths: 1,
      parseIn: 'in-process',
    })
    expect(text).toContain(
      ['    module test/fixtures/snapshot/block-module-source.js', '      → cache  Map (1,000 entries)'].join('\n'),
    )
  })
})

describe('a detached DOM subtree under jsdom', () => {
  test('the removed rows are found, grouped by element class, with the array that keeps them', async () => {
    const dir = await makeSnapshots('detached-dom', 300)
    const explanation = await explainLeak({
      before: join(dir, 'before.heapsnapshot'),
      after: join(dir, 'after.heapsnapshot'),
      root: coreRoot,
      maxGroups: 20,
      maxPaths: 3,
      parseIn: 'in-process',
    })
    const rows = explanation.groups.find((g) => /^HTMLTableRowElement\b/.test(g.name))
    expect(rows, explanation.text).toMatchObject({ count: 300 })
    expect(explanation.text).toMatch(
      /module test\/fixtures\/snapshot\/detached-dom\.cjs\n\s+→ removedRows  Array\n\s+→ \[\d+\]  HTMLTableRowElement/,
    )
  }, 60_000)
})

// LEAKPROOF_OTHER_NODE=/path/to/node (.ci/other-node-snapshots) adds that Node's V8: Node 24's gives
// a global proxy no edge to its native context, Node 20's does.
const writers = [process.execPath, ...(process.env.LEAKPROOF_OTHER_NODE ? [process.env.LEAKPROOF_OTHER_NODE] : [])]

describe.each(writers)('globals of vm contexts a module keeps, as a patch keeps a test file’s (%s)', (node) => {
  test("a context's global gives its whole context's size, whichever of it and its native context holds the other; any other object, 0", async () => {
    const dir = await makeSnapshots('vm-context', 1, 'after-only', node)
    const after = await parseHeapSnapshot(join(dir, 'after.heapsnapshot'))
    const { retainedSize } = dominators(after)
    const nodes = Array.from({ length: after.nodeCount }, (_, n) => n)
    const contextOf = new Map<number, number>()
    for (const n of nodes) {
      const edge = after.nodeName(n) === 'system / NativeContext' ? after.findEdge(n, 'global_proxy_object') : -1
      if (edge >= 0) contextOf.set(after.edgeTarget(edge), n)
    }
    // Two runs, each keeping a context two ways (the module's object's `alone<i>` and `twice<i>`);
    // each context holds 16,384 rows of 16 B or more.
    const keptAs = (name: RegExp): number[] =>
      Array.from({ length: after.edgeCount }, (_, e) => e)
        .filter((e) => after.edgeType(e) === 'property' && name.test(String(after.edgeName(e))))
        .map((e) => after.edgeTarget(e))
    const [alone, twice] = [keptAs(/^alone\d+$/), keptAs(/^twice\d+$/)]
    const kept = [...alone, ...twice]
    const rows = 16384 * 16
    expect([alone.length, twice.length]).toEqual([2, 2])
    expect(kept.filter((n) => contextSize(after, n) > rows)).toEqual(kept)
    // Kept by its global and by a function made in it: neither the global nor its native context
    // retains the rows alone. Whether they do for `alone` depends on the Node: since 22.2x the
    // contextified sandbox object holds a copy of each global property, a second path to the rows.
    const retainsAlone = (n: number): boolean => Math.max(retainedSize[n]!, retainedSize[contextOf.get(n)!]!) >= rows
    expect(twice.filter(retainsAlone)).toEqual([])
    // Whichever path it takes (one dominating the other, or neither), the size is what goes with both.
    expect(kept.map((n) => contextSize(after, n))).toEqual(kept.map((n) => freedWith(after, [n, contextOf.get(n)!])))
    const { contextSizes } = explainObjectsIn(
      after,
      kept.map((n) => after.nodeId(n)),
      coreRoot,
    )
    expect(contextSizes).toEqual(kept.map((n) => contextSize(after, n)))
    const row = nodes.find((n) => after.nodeType(n) === 'object' && !contextOf.has(n))!
    expect(explainObjectsIn(after, [after.nodeId(row)], coreRoot).contextSizes).toEqual([0])
  })
})
