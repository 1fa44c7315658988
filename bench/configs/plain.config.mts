// Baseline: the suite as a user runs it without leakproof.
import { defineConfig } from 'vitest/config'

export default defineConfig({ test: { include: ['tests/**/*.test.ts'] } })
