import { beforeAll, describe, expect, test } from 'vitest'
import { failed, named, runJest, runVitest, type FixtureRun } from './helpers/run-fixture.js'

/**
 * The DOM kinds (`listener` on DOM event targets, `dom` for detached trees) on two suites written
 * once: fixtures/dom (plain DOM code) and fixtures/react (a React component under
 * @testing-library/react), each under Vitest's jsdom and happy-dom environments and Jest's jsdom.
 */
const RUNS: Record<string, (fixture: string) => FixtureRun> = {
  'vitest, jsdom': (fixture) => runVitest(fixture),
  'vitest, happy-dom': (fixture) => runVitest(fixture, { args: ['--config', `vitest.happy-dom.config.ts`] }),
  // One worker per file: what a Jest user on a small machine gets, and less memory for this run.
  'jest, jsdom': (fixture) => runJest(fixture, { args: ['--maxWorkers=2'] }),
}
// LEAKPROOF_FRAMEWORKS=vitest (or jest) runs one framework's half: the compatibility checks in .ci/run.
const frameworks = (process.env.LEAKPROOF_FRAMEWORKS ?? 'vitest,jest').split(',')
const runs = Object.keys(RUNS).filter((name) => frameworks.includes(name.split(',')[0]!))

describe.each(runs)('fixtures/dom under %s', (name) => {
  let run: FixtureRun
  beforeAll(() => {
    run = RUNS[name]!('dom')
  })
  const message = (test: string): string => {
    const outcome = run.tests.get(test)
    if (!outcome) throw new Error(`no test named ${test}; ran: ${[...run.tests.keys()].join('\n')}\n${run.output}`)
    return outcome.message
  }

  test('exactly the leaking tests fail; every clean test passes', () => {
    expect(run.exitCode, run.output).toBe(1)
    const leaking = named(run, 'leaks:')
    expect(leaking).toHaveLength(4)
    expect(failed(run)).toEqual(leaking)
    const clean = named(run, 'clean:')
    expect(clean).toHaveLength(10)
    for (const t of clean) expect(run.tests.get(t)?.status, `${t}\n${message(t)}`).toBe('passed')
    expect(run.files.size, [...run.files.values()].join('\n')).toBe(0)
  })

  test('a window listener from a component never unmounted: the event type and the line that added it', () => {
    const text = message('tests/listeners.test.ts > leaks: a widget that follows window resize and is never unmounted')
    expect(text).toMatch(/^LeakError: left 1 listener registered/)
    expect(text).toContain('listeners still registered\n    window "resize" added at src/resize-widget.ts:9:10')
    // The listener's closure keeps the widget's nodes, out of the document: a detached tree too.
    expect(text).toContain('<div> (3 nodes) created at tests/listeners.test.ts:4:')
  })

  test('a capture listener on document.body', () => {
    expect(message('tests/listeners.test.ts > leaks: a capture listener left on document.body')).toContain(
      'document.body "keydown" (capture) added at tests/listeners.test.ts:10:17',
    )
  })

  test('rows removed but kept in a module-level list: the tree root, its size, its line and what holds it', () => {
    const text = message('tests/detached.test.ts > leaks: rows removed from a table but kept in a module-level list')
    expect(text).toMatch(/^LeakError: left 3 detached DOM trees \(9 nodes\) alive/)
    expect(text).toContain(
      'detached DOM trees (alive after GC, not in the document)\n    <tr.user-row> ×3 (9 nodes) created at src/table.ts:13:24',
    )
    expect(text).toContain('retained by (shortest path from a GC root)')
    expect(text).toMatch(/removedRows {2}Array\n\s+→ \[0\] {2}HTMLTableRowElement/)
  })

  test('a testing-library style render with no cleanup', () => {
    expect(message('tests/render.test.ts > leaks: a render with no cleanup')).toContain(
      '<div> "click" added at src/render.ts:17:13',
    )
  })
})

describe.each(runs)('fixtures/react under %s', (name) => {
  let run: FixtureRun
  beforeAll(() => {
    run = RUNS[name]!('react')
  })
  const message = (test: string): string =>
    run.tests.get(test)?.message ?? `no test named ${test}; ran: ${[...run.tests.keys()].join('\n')}\n${run.output}`

  test('exactly the leaking tests fail; every clean test passes', () => {
    expect(run.exitCode, run.output).toBe(1)
    const leaking = named(run, 'leaks:')
    expect(leaking).toHaveLength(2)
    expect(failed(run)).toEqual(leaking)
    expect(named(run, 'clean:')).toHaveLength(5)
    for (const t of named(run, 'clean:')) expect(run.tests.get(t)?.status, `${t}\n${message(t)}`).toBe('passed')
  })

  test('forgetting cleanup: the component stays mounted, and the report names its line', () => {
    const text = message('tests/forgot-cleanup.test.jsx > leaks: render without cleanup leaves the component mounted')
    expect(text).toContain('window "keydown" added at src/Shortcuts.jsx:8:12')
    // React's root listeners on the container testing-library appended to document.body: added by
    // react-dom, from the test's render().
    expect(text).toMatch(
      /<div> "[a-z]+", "[a-z]+", "[a-z]+" and \d+ more event types \(\d+ listeners\) added at node_modules\/react-dom\/[^\n]+ \(\w+\)\n +inside dependency react-dom [\d.]+, called from tests\/forgot-cleanup\.test\.jsx:10:\d+\n/,
    )
  })

  test('a useEffect without teardown: the event type and the component line', () => {
    expect(
      message('tests/components.test.jsx > leaks: an effect that subscribes to resize without a teardown'),
    ).toContain('window "resize" added at src/WindowWidth.jsx:7:12')
  })
})
