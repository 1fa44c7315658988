/** `testEnvironment: '@leakproof/jest/jsdom'`: Jest's jsdom environment with leakproof added. */
import { TestEnvironment as JsdomEnvironment } from 'jest-environment-jsdom'
import { withLeakproof } from './environment.js'

export const TestEnvironment = withLeakproof(JsdomEnvironment)
export default TestEnvironment
