// What the cheap path saves: no leakproof, just one full GC after every test (what a naive
// "GC and compare heapUsed" checker must do at least).
import { fileURLToPath } from 'node:url'
import { defineConfig } from 'vitest/config'

export default defineConfig({
  test: {
    globals: true,
    include: ['tests/**/*.test.ts'],
    setupFiles: [fileURLToPath(new URL('./full-gc.setup.ts', import.meta.url))],
  },
})
