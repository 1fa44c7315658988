// fixtures/dom or fixtures/react under Vitest, with or without leakproof: BENCH_ROOT names the
// fixture, BENCH_ENV the DOM (jsdom, happy-dom), BENCH_LEAKPROOF=1 adds the plugin.
import { defineConfig } from 'vitest/config'
import leakproof from '@leakproof/vitest'

export default defineConfig({
  plugins: process.env.BENCH_LEAKPROOF === '1' ? [leakproof()] : [],
  oxc: { jsx: { runtime: 'automatic' } },
  test: { globals: true, environment: process.env.BENCH_ENV as 'jsdom' | 'happy-dom', include: ['tests/*.test.{ts,jsx}'] },
})
