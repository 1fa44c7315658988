// Baseline: the suite as a user runs it without leakproof.
import { defineConfig } from 'vitest/config'

export default defineConfig({ test: { globals: true, include: ['tests/**/*.test.ts'] } })
