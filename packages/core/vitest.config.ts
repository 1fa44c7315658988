import { defineConfig } from 'vitest/config'

export default defineConfig({
  test: {
    // The snapshot tests take heap snapshots of child processes and parse them: seconds each on a
    // 2-core machine, past Vitest's 5 s default when the machine is busy. A guard against a hang,
    // not a measure of speed (that is bench/'s).
    testTimeout: 60_000,
  },
})
