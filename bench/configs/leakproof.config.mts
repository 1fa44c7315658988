import { defineConfig } from 'vitest/config'
import leakproof from '@leakproof/vitest'

export default defineConfig({ plugins: [leakproof()], test: { globals: true, include: ['tests/**/*.test.ts'] } })
