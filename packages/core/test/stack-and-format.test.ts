import { describe, expect, test } from 'vitest'
import { formatFindings, parseStack, registerFrameworkCode, type Finding } from '../src/index.js'
import { heldEnvironments } from './findings-helpers.js'

describe('parseStack', () => {
  test('reads named, anonymous, async and file:// frames', () => {
    const frames = parseStack(
      [
        'Error: x',
        '    at getUser (/app/src/user-cache.ts:6:12)',
        '    at /app/test/users.test.ts:5:16',
        '    at async Promise.all (index 0)',
        '    at async run (file:///app/node_modules/vitest/dist/run.js:10:3)',
        '    at listOnTimeout (node:internal/timers:581:17)',
      ].join('\n'),
    )
    expect(frames).toEqual([
      { functionName: 'getUser', file: '/app/src/user-cache.ts', line: 6, column: 12 },
      { functionName: '<anonymous>', file: '/app/test/users.test.ts', line: 5, column: 16 },
      { functionName: 'run', file: '/app/node_modules/vitest/dist/run.js', line: 10, column: 3 },
      { functionName: 'listOnTimeout', file: 'node:internal/timers', line: 581, column: 17 },
    ])
  })
})

describe('formatFindings', () => {
  registerFrameworkCode([], [/[\\/]node_modules[\\/]vitest[\\/]/])
  const findings: Finding[] = [
    {
      kind: 'retained',
      severity: 'error',
      bytes: 4.2 * 1024 ** 2,
      runs: 3,
      perRun: 1.4 * 1024 ** 2,
      minPerRun: 1.3 * 1024 ** 2,
      budget: 0,
      confirmed: true,
      sites: [
        {
          bytes: 2.9 * 1024 ** 2,
          functionName: 'getUser',
          location: { file: '/app/src/user-cache.js', line: 6, column: 12 },
        },
        {
          bytes: 1.1 * 1024 ** 2,
          functionName: '<anonymous>',
          location: { file: '/app/test/users.test.ts', line: 5, column: 16 },
        },
      ],
    },
    {
      kind: 'handle',
      severity: 'error',
      type: 'Timeout',
      description: 'Timeout (setInterval 60 s)',
      createdAt: { file: '/app/test/poller.test.ts', line: 3, column: 3 },
      stack: '',
    },
    {
      kind: 'listener',
      severity: 'error',
      target: 'process',
      event: 'exit',
      count: 2,
      addedAt: { file: '/app/test/poller.test.ts', line: 4, column: 11 },
      stack: '',
    },
    { kind: 'global', severity: 'error', name: 'leakedCache', valueType: 'Map' },
    {
      kind: 'watched',
      severity: 'error',
      label: 'session',
      watchedAt: { file: '/app/test/s.test.ts', line: 7, column: 25 },
    },
  ]

  test('renders the whole report, paths relative to the root', () => {
    expect(formatFindings(findings, { root: '/app' })).toBe(
      [
        'retained 4.2 MB across 3 runs (+1.4 MB per run, budget 0 B); left 1 handle open; left 2 listeners registered; added global leakedCache; 1 watched object not collected',
        '',
        '  allocated at (alive after GC)',
        '     2.9 MB  getUser      src/user-cache.js:6:12',
        '     1.1 MB  <anonymous>  test/users.test.ts:5:16',
        '',
        '  left open',
        '    Timeout (setInterval 60 s) created at test/poller.test.ts:3:3',
        '',
        '  listeners still registered',
        '    process "exit" ×2 added at test/poller.test.ts:4:11',
        '',
        '  new globals',
        '    globalThis.leakedCache (Map)',
        '',
        '  not collected after the test',
        '    "session" watched at test/s.test.ts:7:25',
      ].join('\n'),
    )
  })

  test("test files' environments held by one function: the files, and where the function is written", () => {
    expect(formatFindings([heldEnvironments('/app', 3.5 * 2 ** 20)], { root: '/app' })).toBe(
      [
        "the same thing holds 2 test files' whole environments alive after they ended",
        '',
        '  test files whose environment stayed alive after they ended (alive after a full GC, one file later)',
        '    tests/a.test.ts',
        '    tests/b.test.ts',
        '    held by the function written at src/fs-retry.ts:6:34',
        '    3.5 MB kept alive with the first file (freed when what holds it lets go)',
      ].join('\n'),
    )
  })

  test('colour is optional and off by default', () => {
    // eslint-disable-next-line no-control-regex
    expect(formatFindings(findings, { root: '/app' })).not.toMatch(/\u001b\[/)
  })
})
