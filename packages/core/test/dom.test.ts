import { describe, expect, test } from 'vitest'
import { formatFindings, type Finding } from '../src/index.js'
import {
  countNodes,
  detachedRoot,
  groupDetached,
  nodeName,
  targetName,
  type NodeLike,
} from '../src/probes/dom-trees.js'

/** A tiny DOM of plain objects: what dom-trees reads and nothing else. */
function el(tag: string, attrs: { id?: string; class?: string } = {}, ...children: NodeLike[]): NodeLike {
  const node: NodeLike & { children: NodeLike[] } = {
    nodeType: 1,
    nodeName: tag.toUpperCase(),
    localName: tag,
    id: attrs.id ?? '',
    parentNode: null,
    children,
    getAttribute: (name) => (name === 'class' ? (attrs.class ?? null) : null),
    get firstChild() {
      return children[0] ?? null
    },
  }
  children.forEach((c, i) => {
    c.parentNode = node
    Object.defineProperty(c, 'nextSibling', { get: () => children[i + 1] ?? null })
  })
  return node
}
const text = (data: string): NodeLike => ({ nodeType: 3, nodeName: '#text', parentNode: null, data }) as NodeLike
const fragment = (host?: NodeLike): NodeLike => ({
  nodeType: 11,
  nodeName: '#document-fragment',
  parentNode: null,
  host: host ?? null,
})

describe('naming', () => {
  test('elements by tag, id and at most three classes; text, fragments, shadow roots', () => {
    expect(nodeName(el('tr', { id: 'row-3', class: 'selected odd' }))).toBe('<tr#row-3.selected.odd>')
    expect(nodeName(el('div', { class: 'a b c d' }))).toBe('<div.a.b.c…>')
    expect(nodeName(el('svg', { class: ' icon ' }))).toBe('<svg.icon>')
    expect(nodeName(text('  Hello\n  world  '))).toBe('#text "Hello world"')
    expect(nodeName(text('a very long text that goes on'))).toBe('#text "a very long text tha…"')
    expect(nodeName(fragment())).toBe('#document-fragment')
    expect(nodeName(fragment(el('my-widget')))).toBe('#shadow-root')
  })

  test('event targets: the window (either object), the document and its parts, other nodes, other targets', () => {
    const body = el('body')
    const head = el('head')
    const html = el('html', {}, head, body)
    const document = { nodeType: 9, nodeName: '#document', parentNode: null, body, head, documentElement: html }
    const vitestGlobal = {}
    const domWindow = {}
    const globals = { windows: [vitestGlobal, domWindow], document }
    expect(targetName(vitestGlobal, globals)).toBe('window')
    expect(targetName(domWindow, globals)).toBe('window')
    expect(targetName(document, globals)).toBe('document')
    expect(targetName(body, globals)).toBe('document.body')
    expect(targetName(head, globals)).toBe('document.head')
    expect(targetName(html, globals)).toBe('document.documentElement')
    expect(targetName(el('button', { id: 'save' }), globals)).toBe('<button#save>')
    expect(targetName(new (class MediaQueryList {})(), globals)).toBe('MediaQueryList')
  })
})

describe('detached trees', () => {
  test('the root is the topmost ancestor, through a shadow root to its host', () => {
    const cell = el('td')
    const row = el('tr', {}, cell)
    el('tbody', {}, row)
    expect(nodeName(detachedRoot(cell))).toBe('<tbody>')
    const inner = el('span')
    const host = el('my-widget', { id: 'w' })
    const shadow = fragment(host)
    inner.parentNode = shadow
    expect(detachedRoot(inner)).toBe(host)
  })

  test('nodes are counted with their whole subtree, text included', () => {
    const table = el('table', {}, el('tr', {}, el('td', {}, text('a')), el('td', {}, text('b'))))
    expect(countNodes(table)).toBe(6)
    expect(countNodes(table, 3)).toBe(3)
  })

  test('nodes group into one tree per root; the root’s own record names it', () => {
    const a1 = el('td')
    const a2 = el('td')
    const rowA = el('tr', { class: 'user-row' }, a1, a2)
    const b1 = el('td')
    const rowB = el('tr', { class: 'user-row' }, b1)
    const lone = el('p')
    const trees = groupDetached([
      { node: a1, record: 'a1' },
      { node: rowA, record: 'rowA' },
      { node: a2, record: 'a2' },
      { node: b1, record: 'b1' },
      { node: lone, record: 'lone' },
    ])
    expect(trees.map((t) => [nodeName(t.root), t.record, t.nodes])).toEqual([
      ['<tr.user-row>', 'rowA', 3],
      ['<tr.user-row>', 'b1', 2],
      ['<p>', 'lone', 1],
    ])
  })
})

describe('formatting the DOM findings', () => {
  const at = (file: string, line: number, column: number) => ({ file: `/app/${file}`, line, column })
  test('listeners by target and event, a library’s many root listeners on one line, detached trees with what holds them', () => {
    const findings: Finding[] = [
      {
        kind: 'listener',
        severity: 'error',
        target: 'window',
        event: 'resize',
        count: 1,
        addedAt: at('src/widget.ts', 9, 10),
        stack: '',
      },
      {
        kind: 'listener',
        severity: 'error',
        target: 'document.body',
        event: 'keydown',
        capture: true,
        count: 2,
        addedAt: at('test/a.test.ts', 10, 17),
        stack: '',
      },
      ...['click', 'keydown', 'input', 'focusin'].map((event): Finding => ({
        kind: 'listener',
        severity: 'error',
        target: '<div>',
        event,
        count: 2,
        addedAt: at('test/r.test.jsx', 7, 25),
        stack: '',
      })),
      {
        kind: 'dom',
        severity: 'error',
        root: '<tr.user-row>',
        trees: 3,
        nodes: 9,
        createdAt: at('src/table.ts', 13, 24),
        stack: '',
        retainedBy: { unavailable: 'explain is off' },
      },
    ]
    expect(formatFindings(findings, { root: '/app' })).toBe(
      [
        'left 11 listeners registered; left 3 detached DOM trees (9 nodes) alive',
        '',
        '  listeners still registered',
        '    window "resize" added at src/widget.ts:9:10',
        '    document.body "keydown" (capture) ×2 added at test/a.test.ts:10:17',
        '    <div> "click", "keydown", "input" and 1 more event type (8 listeners) added at test/r.test.jsx:7:25',
        '',
        '  detached DOM trees (alive after GC, not in the document)',
        '    <tr.user-row> ×3 (9 nodes) created at src/table.ts:13:24',
        '',
        '  retained by',
        '    not available: explain is off',
      ].join('\n'),
    )
  })
})
