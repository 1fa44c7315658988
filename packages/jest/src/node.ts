/** `testEnvironment: '@leakproof/jest/node'`: Jest's node environment with leakproof added. */
import { TestEnvironment as NodeEnvironment } from 'jest-environment-node'
import { withLeakproof } from './environment.js'

export const TestEnvironment = withLeakproof(NodeEnvironment)
export default TestEnvironment
