// fixtures/corpus under Jest with leakproof's environment (default options).
module.exports = { ...require('./jest-plain.config.cjs'), testEnvironment: '@leakproof/jest/node' }
