import { execFileSync } from 'node:child_process'
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { beforeAll, describe, expect, test } from 'vitest'
// @ts-expect-error a plain .mjs script (no types): the build the committed module must match
import { buildRecordScan } from '../../../scripts/build-wasm.mjs'
import { HeapSnapshot, parseHeapSnapshot } from '../src/index.js'
import { POS, RECORD, RecordScanner } from '../src/snapshot/record-scan.js'
import { coreRoot, makeSnapshots } from './snapshot-helpers.js'

const bytesOf = (text: string): Uint8Array => new TextEncoder().encode(text)

function nodeColumns(n: number) {
  return {
    nodeType: new Uint8Array(n),
    nodeName: new Uint32Array(n),
    nodeId: new Uint32Array(n),
    selfSize: new Uint32Array(n),
    firstEdge: new Uint32Array(n + 1),
  }
}

function edgeColumns(n: number) {
  return { edgeType: new Uint8Array(n), edgeName: new Uint32Array(n), edgeTo: new Uint32Array(n) }
}

/** Node kinds as the parser writes them: type, name, id, self size, edge count, then two not kept. */
const V8_NODE_KINDS = Uint8Array.of(1, 2, 3, 4, 5, 0, 0)

describe('the record scan (record-scan.wat)', () => {
  test('the module in record-scan-wasm.ts is the build of record-scan.wat', async () => {
    const built = (await buildRecordScan()) as string
    expect(readFileSync(join(coreRoot, 'src', 'snapshot', 'record-scan-wasm.ts'), 'utf8')).toBe(built)
  })

  test('reads whole node records into the columns from the cursor on, and stops at the last whole one', () => {
    const scanner = RecordScanner.create()!
    const columns = nodeColumns(8)
    columns.nodeId[0] = 99 // the record before the cursor stays as it was
    const cursor = Uint32Array.of(0, 1)
    // A second record cut by the input's end: the parser's resumable loop reads it on.
    const input = bytesOf('9,1,4294967297,32,7,0,0\n,3,12,5,16,0,0,1\n,3,12')
    scanner.nodes(input, input.length, 8, V8_NODE_KINDS, columns, cursor)
    expect([cursor[POS], cursor[RECORD]]).toEqual([input.indexOf(10, 30), 3])
    expect([...columns.nodeType.subarray(0, 3)]).toEqual([0, 9, 3])
    // Numbers wrap modulo 2^32, as a Uint32Array store of the parsed number does.
    expect([...columns.nodeId.subarray(0, 3)]).toEqual([99, 1, 5])
    expect([...columns.nodeName.subarray(1, 3)]).toEqual([1, 12])
    expect([...columns.selfSize.subarray(1, 3)]).toEqual([32, 16])
    expect([...columns.firstEdge.subarray(2, 4)]).toEqual([7, 0])
  })

  test('stops before a byte that is not the layout, and at the limit', () => {
    const scanner = RecordScanner.create()!
    const input = bytesOf('1,2,3,4,5,6,7\n, 1,2,3,4,5,6,7\n')
    const cursor = Uint32Array.of(0, 0)
    scanner.nodes(input, input.length, 8, V8_NODE_KINDS, nodeColumns(8), cursor)
    expect([cursor[POS], cursor[RECORD]]).toEqual([13, 1]) // the space
    const limited = Uint32Array.of(0, 0)
    scanner.nodes(bytesOf('1,2,3,4,5,6,7,1,2,3,4,5,6,7,'), 28, 1, V8_NODE_KINDS, nodeColumns(8), limited)
    expect([limited[POS], limited[RECORD]]).toEqual([13, 1])
  })

  test('edges: to_node from offset to ordinal (rounded as Math.round), and an edge past the last node stops', () => {
    const scanner = RecordScanner.create()!
    const columns = edgeColumns(4)
    const cursor = Uint32Array.of(0, 0)
    const input = bytesOf('1,2,0,\n3,4,14,\n2,0,25,\n5,5,700,\n')
    scanner.edges(input, input.length, 4, 7, 10, columns, cursor)
    expect(cursor[RECORD]).toBe(3)
    expect(new TextDecoder().decode(input.subarray(cursor[POS]))).toBe(',\n5,5,700,\n')
    expect([...columns.edgeType.subarray(0, 3)]).toEqual([1, 3, 2])
    expect([...columns.edgeName.subarray(0, 3)]).toEqual([2, 4, 0])
    expect([...columns.edgeTo.subarray(0, 3)]).toEqual([0, 2, 4]) // 25 / 7 = 3.57
  })
})

describe('a parse without WebAssembly (node --jitless: the resumable loops read every record)', () => {
  let file: string
  beforeAll(async () => {
    file = join(await makeSnapshots('user-cache', 2000, 'after-only'), 'after.heapsnapshot')
  }, 60_000)

  /** A hash of every column the parse fills, as the built package reads the file. */
  const digestScript = `
    const { parseHeapSnapshot } = await import(${JSON.stringify(join(coreRoot, 'dist', 'esm', 'index.js'))})
    const s = await parseHeapSnapshot(process.argv[1])
    const { createHash } = await import('node:crypto')
    const hash = createHash('sha256')
    for (const column of [s.firstEdge, s.edgeTargets, s.edgeTypeIndexes, s.edgeNamesOrIndexes, s.nodeTypeIndexes, s.nodeNameIndexes, s.selfSizes])
      hash.update(new Uint8Array(column.buffer, column.byteOffset, column.byteLength))
    console.log(typeof WebAssembly, s.nodeCount, hash.digest('hex'))`

  test('reads the same columns as the scan does', async () => {
    const run = (flags: string[]): string =>
      execFileSync(process.execPath, [...flags, '--input-type=module', '-e', digestScript, file], {
        encoding: 'utf8',
      }).trim()
    const withScan = run([])
    const without = run(['--jitless'])
    expect(withScan.split(' ')[0]).toBe('object')
    expect(without.split(' ')[0]).toBe('undefined')
    expect(without.split(' ').slice(1)).toEqual(withScan.split(' ').slice(1))
    // And the in-process parse (the source, under vitest) agrees with both.
    const s: HeapSnapshot = await parseHeapSnapshot(file)
    expect(Number(withScan.split(' ')[1])).toBe(s.nodeCount)
  }, 60_000)
})
