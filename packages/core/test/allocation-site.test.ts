import { describe, expect, test } from 'vitest'
import { isToolAllocation, type CallFrame } from '../src/allocation-site.js'
import { registerFrameworkCode } from '../src/stack.js'

registerFrameworkCode([], [/[\\/]node_modules[\\/](jest-[^\\/]+|@jest)[\\/]/])

const frame = (functionName: string, url: string): CallFrame => ({ functionName, url, lineNumber: 0, columnNumber: 0 })
const leakproof = (fn: string) => frame(fn, 'file:///app/node_modules/@leakproof/core/dist/cjs/stack.js')
const react = (fn: string) => frame(fn, '/app/node_modules/react-dom/cjs/react-dom-client.development.js')
const user = (fn: string) => frame(fn, '/app/test/connect.spec.tsx')
const sourcemap = (fn: string) => frame(fn, '/app/node_modules/@jridgewell/sourcemap-codec/dist/sourcemap-codec.umd.js')
const jest = (fn: string) => frame(fn, '/app/node_modules/@jest/reporters/build/index.js')
const dependency = (fn: string) => frame(fn, '/app/node_modules/char-regex/index.js')
const builtin = (fn: string) => frame(fn, '')
const node = (fn: string) => frame(fn, 'node:internal/errors')

// Paths are root first, as the sampling profiler's tree gives them.
describe('isToolAllocation', () => {
  test('leakproof capturing a stack for its records is its own', () => {
    expect(isToolAllocation([user('test'), react('appendChild'), leakproof('captureFrames')])).toBe(true)
  })
  test("through Node's internals and builtins it calls, still leakproof's", () => {
    expect(
      isToolAllocation([
        user('test'),
        leakproof('prepareStackTrace'),
        node('prepareStackTraceCallback'),
        builtin('map'),
      ]),
    ).toBe(true)
    expect(isToolAllocation([react('listenToNativeEvent'), leakproof('addEventListener'), builtin('WeakRef')])).toBe(
      true,
    )
  })
  test('a dependency leakproof calls (the source-map decoder) allocates for leakproof', () => {
    expect(isToolAllocation([user('test'), leakproof('mapFrames'), sourcemap('decode')])).toBe(true)
  })
  test("the test's code is the test's, also when leakproof's re-run calls it", () => {
    expect(isToolAllocation([leakproof('rerun'), user('test body'), builtin('Array')])).toBe(false)
    expect(isToolAllocation([leakproof('rerun'), user('test body'), react('render'), node('queueMicrotask')])).toBe(
      false,
    )
  })
  test("the framework's own work, and a dependency it calls, are the framework's", () => {
    expect(isToolAllocation([jest('reporter'), dependency('stringLength')])).toBe(true)
  })
  test("the test's code called by the framework, and a dependency's timer callback, are the test's", () => {
    expect(isToolAllocation([jest('callAsyncCircusTest'), user('test body'), dependency('remember')])).toBe(false)
    // A spy the test calls records the call: the framework's code, with the test's frame below it.
    expect(isToolAllocation([user('test body'), jest('mockConstructor')])).toBe(false)
    expect(isToolAllocation([node('listOnTimeout'), dependency('flush')])).toBe(false)
  })
  test("the framework formatting a stack (its source-map cache), and fetch's pool of an origin, are the host's", () => {
    // The framework here is Jest's packages (registered above); under Vitest, Vite's module runner.
    const runner = (fn: string) => frame(fn, '/app/node_modules/@jest/source-map/build/index.js')
    const undici = (fn: string) => frame(fn, 'node:internal/deps/undici/undici')
    expect(
      isToolAllocation([
        user('errorResponse'),
        node('prepareStackTraceCallback'),
        runner('prepareStackTrace'),
        runner('wrapCallSite'),
        runner('decode'),
      ]),
    ).toBe(true)
    expect(
      isToolAllocation([user('ctx.fetch'), undici('fetch'), undici('Agent'), undici('defaultFactory'), undici('Pool')]),
    ).toBe(true)
    // What fetch allocates for the test's own request and response is the test's.
    expect(isToolAllocation([user('ctx.fetch'), undici('fetch'), undici('extractBody')])).toBe(false)
    // A dependency's own prepareStackTrace (source-map-support) formats for whoever installed it.
    expect(
      isToolAllocation([user('test'), frame('prepareStackTrace', '/app/node_modules/source-map-support/index.js')]),
    ).toBe(false)
  })
  test('a path with no script at all is not leakproof’s', () => {
    expect(isToolAllocation([builtin('(root)'), builtin('(program)')])).toBe(false)
    expect(isToolAllocation([])).toBe(false)
  })
})
