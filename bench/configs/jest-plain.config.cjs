// Baseline: fixtures/corpus under Jest as a user runs it without leakproof.
const { join } = require('node:path')

module.exports = {
  rootDir: join(__dirname, '../../fixtures/corpus'),
  testEnvironment: 'node',
  testMatch: ['<rootDir>/tests/*.test.ts'],
  snapshotResolver: '<rootDir>/jest-snapshot-resolver.cjs',
}
