import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { runInThisContext } from 'node:vm'
import { afterAll, describe, expect, test } from 'vitest'
import {
  formatFindings,
  githubAnnotations,
  newReport,
  testReport,
  type Finding,
  type StackFrame,
} from '../src/index.js'
import { applyIgnoreRules } from '../src/ignore.js'
import { watchAssignments } from '../src/probes/globals.js'
import { installedPackage, originOf, packageNameInPath, type PackageLookup } from '../src/origin.js'
import { isFrameworkWork, registerFrameworkCode } from '../src/stack.js'

registerFrameworkCode([], [/[\\/]node_modules[\\/]vitest[\\/]/])

const frame = (file: string, line: number, functionName = '<anonymous>'): StackFrame => ({
  file,
  line,
  column: 3,
  functionName,
})
const lookup: PackageLookup = (file) =>
  file.includes('/node_modules/leaky-lib/') ? { name: 'leaky-lib', version: '1.0.0' } : undefined

describe('originOf: which code made a finding', () => {
  test("the user's own frame, innermost: the user's leak, no dependency", () => {
    const frames = [
      frame('node:internal/timers', 1),
      frame('/app/src/poll.ts', 3, 'poll'),
      frame('/app/node_modules/leaky-lib/index.js', 9, 'every'),
      frame('/app/tests/a.test.ts', 5),
    ]
    expect(originOf(frames, lookup)).toEqual({ at: frames[1] })
  })

  test("a dependency's frame, innermost: the library frame, its package and version, and the user's call into it", () => {
    const frames = [
      frame('node:internal/timers', 1, 'setInterval'),
      frame('/app/node_modules/leaky-lib/index.js', 8, 'startPolling'),
      frame('/app/node_modules/leaky-lib/index.js', 20, 'connect'),
      frame('/app/node_modules/vitest/dist/runner.js', 40),
      frame('/app/tests/a.test.ts', 6),
      frame('/app/tests/a.test.ts', 2),
    ]
    expect(originOf(frames, lookup)).toEqual({
      at: frames[1],
      dependency: {
        name: 'leaky-lib',
        version: '1.0.0',
        calledFrom: { file: '/app/tests/a.test.ts', line: 6, column: 3, functionName: '<anonymous>' },
      },
    })
  })

  test('a dependency with no frame of the user on the stack (a callback of its own timer): no caller', () => {
    const frames = [frame('/app/node_modules/leaky-lib/index.js', 8), frame('node:internal/timers', 2)]
    expect(originOf(frames, lookup)?.dependency).toEqual({ name: 'leaky-lib', version: '1.0.0' })
  })

  test("a global the DOM implementation provides (jsdom's setTimeout) is the caller's", () => {
    const frames = [
      frame('node:internal/timers', 1),
      frame('/app/node_modules/jsdom/lib/jsdom/browser/Window.js', 600, 'timerInitializationSteps'),
      frame('/app/node_modules/jsdom/lib/jsdom/browser/Window.js', 550, 'setTimeout'),
      frame('/app/tests/a.test.ts', 6),
    ]
    expect(originOf(frames, lookup)).toEqual({ at: frames[3] })
    expect(originOf(frames.slice(0, 3), () => ({ name: 'jsdom', version: '26.1.0' }))).toEqual({
      at: frames[1],
      dependency: { name: 'jsdom', version: '26.1.0' },
    })
  })

  test("the framework calling a global the DOM implementation provides: the framework's work", () => {
    const jsdomSetTimeout = [
      frame('node:internal/timers', 1),
      frame('/app/node_modules/jsdom/lib/jsdom/browser/Window.js', 600, 'timerInitializationSteps'),
      frame('/app/node_modules/jsdom/lib/jsdom/browser/Window.js', 530, 'setTimeout'),
    ]
    const byRunner = [...jsdomSetTimeout, frame('/app/node_modules/vitest/dist/runner.js', 2865, 'updateTask')]
    expect(isFrameworkWork(byRunner)).toBe(true)
    expect(isFrameworkWork([...jsdomSetTimeout, frame('/app/tests/a.test.ts', 6), ...byRunner.slice(3)])).toBe(false)
    expect(isFrameworkWork(jsdomSetTimeout)).toBe(false)
  })

  test("the framework's and Node's frames alone: nothing to blame", () => {
    expect(originOf([frame('/app/node_modules/vitest/dist/x.js', 1), frame('node:events', 2)], lookup)).toBeUndefined()
  })

  test('a package whose manifest cannot be read is named from its path', () => {
    const frames = [frame('/app/node_modules/.pnpm/x@1/node_modules/@scope/pkg/lib/a.js', 1)]
    expect(originOf(frames, () => undefined)?.dependency?.name).toBe('@scope/pkg')
    expect(packageNameInPath('/app/node_modules/a/node_modules/b/index.js')).toBe('b')
  })
})

describe('installedPackage: the package.json a file belongs to', () => {
  const dir = mkdtempSync(join(tmpdir(), 'leakproof-origin-'))
  afterAll(() => rmSync(dir, { recursive: true, force: true }))

  test('the nearest manifest with a name, past a {"type"} marker in dist/, never above node_modules', () => {
    const pkg = join(dir, 'node_modules', 'leaky-lib')
    mkdirSync(join(pkg, 'dist', 'esm'), { recursive: true })
    writeFileSync(join(pkg, 'package.json'), JSON.stringify({ name: 'leaky-lib', version: '2.3.4' }))
    writeFileSync(join(pkg, 'dist', 'esm', 'package.json'), JSON.stringify({ type: 'module' }))
    writeFileSync(join(dir, 'package.json'), JSON.stringify({ name: 'the-app', version: '0.0.1' }))
    expect(installedPackage(join(pkg, 'dist', 'esm', 'index.js'))).toEqual({ name: 'leaky-lib', version: '2.3.4' })
    mkdirSync(join(dir, 'node_modules', 'bare'))
    expect(installedPackage(join(dir, 'node_modules', 'bare', 'index.js'))).toBeUndefined()
  })
})

describe('ignore rules for what a dependency made', () => {
  const inLib = (calledFromLine: number): Finding => ({
    kind: 'handle',
    severity: 'error',
    type: 'Timeout',
    description: 'Timeout (setInterval 15 s)',
    createdAt: { file: '/app/node_modules/leaky-lib/index.js', line: 8, column: 3, functionName: 'startPolling' },
    dependency: {
      name: 'leaky-lib',
      version: '1.0.0',
      calledFrom: { file: '/app/tests/a.test.ts', line: calledFromLine, column: 3 },
    },
    stack: `    at startPolling (/app/node_modules/leaky-lib/index.js:8:3)\n    at /app/tests/a.test.ts:${calledFromLine}:3`,
  })
  const global = (dependency?: string): Finding => ({
    kind: 'global',
    severity: 'error',
    name: '__registry',
    valueType: 'array',
    assignedAt: { file: '/app/node_modules/leaky-lib/index.js', line: 30, column: 3, functionName: 'register' },
    ...(dependency && { dependency: { name: dependency } }),
  })

  test('a package rule, or a frame rule naming the library, holds wherever the user calls it from', () => {
    for (const rule of [
      { package: 'leaky-lib', reason: 'upstream bug #12' },
      { frame: 'node_modules/leaky-lib/', reason: 'upstream bug #12' },
    ]) {
      for (const line of [6, 60])
        expect(applyIgnoreRules([inLib(line)], [rule]).ignored).toEqual([
          { kind: 'handle', what: 'left 1 handle open — made inside leaky-lib 1.0.0', reason: 'upstream bug #12' },
        ])
      expect(applyIgnoreRules([global('leaky-lib')], [rule]).kept).toEqual([])
    }
    expect(applyIgnoreRules([global()], [{ package: 'leaky-lib', reason: 'r' }]).kept).toHaveLength(1)
  })

  test('retained memory is ignored by a package rule only when every allocation site is in the package', () => {
    const site = (name?: string) => ({
      bytes: 1024,
      functionName: 'remember',
      location: { file: `/app/${name ? `node_modules/${name}` : 'src'}/a.js`, line: 1, column: 1 },
      ...(name && { dependency: { name } }),
    })
    const retained = (...sites: ReturnType<typeof site>[]): Finding => ({
      kind: 'retained',
      severity: 'error',
      bytes: 3072,
      runs: 3,
      perRun: 1024,
      minPerRun: 1024,
      budget: 0,
      confirmed: true,
      sites,
    })
    const rule = [{ package: 'leaky-lib', reason: 'r' }]
    expect(applyIgnoreRules([retained(site('leaky-lib'), site('leaky-lib'))], rule).kept).toEqual([])
    expect(applyIgnoreRules([retained(site('leaky-lib'), site())], rule).kept).toHaveLength(1)
  })
})

describe('reports of what a dependency made', () => {
  const inLib: Finding[] = [
    {
      kind: 'handle',
      severity: 'error',
      type: 'Timeout',
      description: 'Timeout (setInterval 15 s)',
      createdAt: { file: '/app/node_modules/leaky-lib/index.js', line: 8, column: 3, functionName: 'startPolling' },
      dependency: {
        name: 'leaky-lib',
        version: '1.0.0',
        calledFrom: { file: '/app/tests/a.test.ts', line: 6, column: 3 },
      },
      stack: '',
    },
    {
      kind: 'retained',
      severity: 'error',
      bytes: 3 * 2 ** 20,
      runs: 3,
      perRun: 2 ** 20,
      minPerRun: 2 ** 20,
      budget: 0,
      confirmed: true,
      sites: [
        {
          bytes: 2 ** 20,
          functionName: 'remember',
          location: { file: '/app/node_modules/leaky-lib/index.js', line: 20, column: 12 },
          dependency: {
            name: 'leaky-lib',
            version: '1.0.0',
            calledFrom: { file: '/app/tests/a.test.ts', line: 12, column: 5 },
          },
        },
      ],
    },
    {
      kind: 'global',
      severity: 'error',
      name: '__registry',
      valueType: 'array',
      assignedAt: { file: '/app/node_modules/leaky-lib/index.js', line: 30, column: 3, functionName: 'register' },
      dependency: { name: 'leaky-lib', version: '1.0.0' },
    },
  ]

  test("both ends: the library frame with its function, the package and version, the user's call; and what to do", () => {
    expect(formatFindings(inLib, { root: '/app' })).toBe(
      [
        'retained 3.0 MB across 3 runs (+1.0 MB per run, budget 0 B); left 1 handle open; added global __registry — made inside leaky-lib 1.0.0',
        '',
        '  allocated at (alive after GC)',
        '     1.0 MB  remember  node_modules/leaky-lib/index.js:20:12',
        '             inside dependency leaky-lib 1.0.0, called from tests/a.test.ts:12:5',
        '',
        '  left open',
        '    Timeout (setInterval 15 s) created at node_modules/leaky-lib/index.js:8:3 (startPolling)',
        '      inside dependency leaky-lib 1.0.0, called from tests/a.test.ts:6:3',
        '',
        '  new globals',
        '    globalThis.__registry (array) assigned at node_modules/leaky-lib/index.js:30:3 (register)',
        '      inside dependency leaky-lib 1.0.0, not called from your code (no frame of it on the stack)',
        '',
        '  made inside a dependency',
        '    leaky-lib 1.0.0: its code made it, called from yours.',
        '    Release what it made as the package documents (close, unsubscribe, unmount). If the package',
        '    leaks on its own, upgrade it, or name it in `ignore` with a reason:',
        "      { package: 'leaky-lib', reason: '…' }",
      ].join('\n'),
    )
  })

  test("annotations: at the test, and at the user's call into the library (never in node_modules)", () => {
    const report = newReport({ name: 'vitest', version: '4.1.12' }, [
      testReport(
        '/app',
        '/app/tests/a.test.ts',
        'leaks: polls',
        { state: 'leak', findings: [inLib[0]!], notes: [] },
        5,
      ),
      testReport(
        '/app',
        '/app/tests/a.test.ts',
        'leaks: registers',
        { state: 'leak', findings: [inLib[2]!], notes: [] },
        9,
      ),
    ])
    expect(githubAnnotations(report, { root: '/app', frameworkAnnotatesTests: false })).toEqual([
      '::error file=tests/a.test.ts,line=5,title=leakproof%3A leaks%3A polls::left 1 handle open — made inside leaky-lib 1.0.0',
      '::error file=tests/a.test.ts,line=6,col=3,title=leakproof%3A leaks%3A polls (left here)::left 1 handle open — made inside leaky-lib 1.0.0',
      '::error file=tests/a.test.ts,line=9,title=leakproof%3A leaks%3A registers::added global __registry — made inside leaky-lib 1.0.0',
    ])
  })
})

describe('watchAssignments: where a re-run assigns a global the first run left', () => {
  test('records the assigning line, then leaves a data property with the latest value', () => {
    const scope: Record<string, unknown> = { __records: [1] }
    const finding = { kind: 'global' as const, name: '__records', valueType: 'array' }
    const done = watchAssignments(scope, [finding])
    // A frame outside this package (leakproof's own frames are passed over): code with a file name of its own.
    const assign = runInThisContext('(scope) => { scope.__records = [2] }', { filename: '/app/src/assign.js' })
    assign(scope)
    expect(scope.__records).toEqual([2])
    done()
    expect(Object.getOwnPropertyDescriptor(scope, '__records')).toEqual({
      value: [2],
      writable: true,
      enumerable: true,
      configurable: true,
    })
    expect(finding).toMatchObject({
      assignedAt: { file: '/app/src/assign.js', line: 1 },
    })
  })

  test('a global only read again (a first-use singleton) gets no site; a non-configurable one is left alone', () => {
    const scope: Record<string, unknown> = { __store: {} }
    Object.defineProperty(scope, '__fixed', { value: 1, writable: true, enumerable: true, configurable: false })
    const findings = [
      { kind: 'global' as const, name: '__store', valueType: 'object' },
      { kind: 'global' as const, name: '__fixed', valueType: 'number' },
    ]
    const done = watchAssignments(scope, findings)
    scope.__store ??= { other: true }
    scope.__fixed = 2
    done()
    expect(findings.map((f) => 'assignedAt' in f)).toEqual([false, false])
    expect(scope.__fixed).toBe(2)
  })
})
