import vm from 'node:vm'
import { expect, test } from 'vitest'
import { hideSymbols } from '../src/probes/hidden-symbols.js'

// A realm of its own, as a Jest test file's context is, so that the patch stays out of this one.
function realm(): typeof globalThis {
  return vm.runInNewContext('globalThis') as typeof globalThis
}

test('the hidden symbols are left out of both lists of keys; every other key stays, in order', () => {
  const r = realm()
  const hidden = Symbol('hidden')
  const mine = Symbol('mine')
  hideSymbols(r, new Set([hidden]))
  const tagged = { a: 1, [hidden]: 2, [mine]: 3 }
  expect(r.Object.getOwnPropertySymbols(tagged)).toEqual([mine])
  expect(r.Reflect.ownKeys(tagged)).toEqual(['a', mine])
  // The property itself is untouched: only listing it is.
  expect(tagged[hidden]).toBe(2)
  expect(r.Object.getOwnPropertySymbols.name).toBe('getOwnPropertySymbols')
  expect(r.Reflect.ownKeys.length).toBe(1)
})

test('a realm is patched once, and symbols added to the set later are hidden too', () => {
  const r = realm()
  const hidden = new Set<symbol>()
  hideSymbols(r, hidden)
  const original = r.Object.getOwnPropertySymbols
  hideSymbols(r, hidden)
  expect(r.Object.getOwnPropertySymbols).toBe(original)
  const late = Symbol('late')
  hidden.add(late)
  expect(r.Object.getOwnPropertySymbols({ [late]: 1 })).toEqual([])
})

test('other realms are untouched', () => {
  const r = realm()
  const hidden = Symbol('hidden')
  hideSymbols(r, new Set([hidden]))
  expect(Object.getOwnPropertySymbols({ [hidden]: 1 })).toEqual([hidden])
})
