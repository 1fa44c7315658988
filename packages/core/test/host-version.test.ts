import { expect, test } from 'vitest'
import { inCaretRange, unsupportedHost } from '../src/host-version.js'

const VITEST = '^4.1.0 || ^5.0.0'

test.each([
  ['4.1.0', true],
  ['4.1.12', true],
  ['4.2.0', true],
  ['5.0.0', true],
  ['5.1.3', true],
  ['5.0.0-beta.2', true],
  ['4.0.18', false],
  ['3.2.7', false],
  ['6.0.0', false],
  ['not a version', false],
])('Vitest %s is in %s: %s', (version, inRange) => {
  expect(inCaretRange(version, VITEST)).toBe(inRange)
})

test('a range that is not caret ranges admits nothing', () => {
  expect(inCaretRange('4.1.0', '>=4.1.0')).toBe(false)
})

test('the error names the adapter, the supported versions and the running one, without a stack', () => {
  expect(unsupportedHost('@leakproof/vitest', 'Vitest', '4.1.12', VITEST)).toBeUndefined()
  const error = unsupportedHost('@leakproof/vitest', 'Vitest', '3.2.7', VITEST)!
  expect(error.message).toBe(
    'leakproof: @leakproof/vitest supports Vitest ^4.1.0 or ^5.0.0; this project runs Vitest 3.2.7. Upgrade vitest, or leave leakproof out of this config.',
  )
  expect(error.stack).toBe(`LeakproofVersionError: ${error.message}`)
})
