// fixtures/dom or fixtures/react under Jest's jsdom environment, with or without leakproof's:
// BENCH_ROOT names the fixture, BENCH_LEAKPROOF=1 picks @leakproof/jest/jsdom.
const { join } = require('node:path')

module.exports = {
  rootDir: join(__dirname, '../../fixtures', process.env.BENCH_ROOT),
  testEnvironment: process.env.BENCH_LEAKPROOF === '1' ? '@leakproof/jest/jsdom' : 'jsdom',
  testMatch: ['<rootDir>/tests/*.test.{ts,jsx}'],
}
