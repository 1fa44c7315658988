import { runInNewContext } from 'node:vm'
import { describe, expect, test } from 'vitest'
import { saveState } from '../src/saved-state.js'

class CounterMap extends Map<string, number> {
  _total: number | undefined
}

describe('saveState', () => {
  test('puts back counts, maps, sets, arrays and plain objects, in the same instances', () => {
    const counters = new CounterMap([['a 1', 1]])
    const keys = new Map<string, string[]>([['test-1', ['a 1']]])
    const state = {
      matched: 1,
      counters,
      keys,
      unchecked: new Set(['b 1']),
      inline: [{ id: 1 }],
      data: { 'a 1': 'first' } as Record<string, string>,
    }
    const restore = saveState(state)
    state.matched++
    counters.set('a 1', 2)
    counters._total = 5
    keys.get('test-1')!.push('a 2')
    state.unchecked.delete('b 1')
    state.inline = state.inline.filter(() => false)
    state.data['a 1'] = 'the re-run'
    ;(state as Record<string, unknown>).added = 1
    restore()
    expect(state.matched).toBe(1)
    expect([...state.counters]).toEqual([['a 1', 1]])
    expect([...state.keys]).toEqual([['test-1', ['a 1']]])
    expect([...state.unchecked]).toEqual(['b 1'])
    expect(state.inline).toEqual([{ id: 1 }])
    expect(state.data).toEqual({ 'a 1': 'first' })
    expect('added' in state).toBe(false)
    expect(state.counters).toBe(counters)
    expect(counters._total).toBeUndefined()
    expect(state.keys).toBe(keys)
  })

  test("a state from another realm (Vitest's vm pools) is put back too", () => {
    const state = runInNewContext('({ counters: new Map([["a", 1]]), data: { a: "first" } })') as {
      counters: Map<string, number>
      data: Record<string, string>
    }
    const restore = saveState(state)
    state.counters.set('a', 2)
    state.data.a = 'the re-run'
    restore()
    expect(state.counters.get('a')).toBe(1)
    expect(state.data.a).toBe('first')
  })
})
