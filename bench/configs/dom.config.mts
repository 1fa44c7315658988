// fixtures/dom or fixtures/react under Vitest, with or without leakproof: BENCH_ROOT names the
// fixture, BENCH_ENV the DOM (jsdom, happy-dom), BENCH_LEAKPROOF=1 adds the plugin.
import { defineConfig } from 'vitest/config'
import leakproof from '@leakproof/vitest'

export default defineConfig({
  // happy-dom's query caches on document.body grow when a test is re-run: the same budget as
  // fixtures/react/vitest.happy-dom.config.ts (see README, "DOM tests, what is not seen").
  plugins:
    process.env.BENCH_LEAKPROOF === '1'
      ? [leakproof(process.env.BENCH_ENV === 'happy-dom' ? { budget: '512 KB' } : {})]
      : [],
  oxc: { jsx: { runtime: 'automatic' } },
  test: {
    globals: true,
    environment: process.env.BENCH_ENV as 'jsdom' | 'happy-dom',
    include: ['tests/*.test.{ts,jsx}'],
  },
})
