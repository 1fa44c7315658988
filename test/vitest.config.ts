import { defineConfig } from 'vitest/config'

export default defineConfig({
  test: {
    include: ['**/*.e2e.test.ts'],
    // Each test spawns real Vitest processes on fixtures/: give them time, and run files one at a
    // time so two fixture runs do not compete for this machine's two cores.
    testTimeout: 180_000,
    hookTimeout: 300_000,
    fileParallelism: false,
    setupFiles: ['./helpers/show-runs-on-failure.ts'],
  },
})
