import { isAbsolute, relative, sep } from 'node:path'
import pc from 'picocolors'
import {
  findingCount,
  findingDependency,
  findingOrigins,
  type DomFinding,
  type EnvironmentFinding,
  type Finding,
  type FindingData,
  type GlobalFinding,
  type HandleFinding,
  type InDependency,
  type ListenerFinding,
  type RetainedBy,
  type RetainedFinding,
  type SourceLocation,
  type Verdict,
  type WatchedFinding,
} from './findings.js'
import { callerKey } from './origin.js'
import { ownerOf } from './stack.js'
import { formatBytes } from './size.js'

export interface FormatOptions {
  /** Paths print relative to this directory. */
  root: string
  color?: boolean
}

type Colors = ReturnType<typeof pc.createColors>

/**
 * The one plain-text rendering of findings: the headline (what a failing test's error says first)
 * and the sections under it, as in DESIGN.md's "A failure should read like this".
 */
export function formatFindings(findings: Finding[], options: FormatOptions): string {
  const c = pc.createColors(options.color ?? false)
  const where = (loc: SourceLocation | undefined): string =>
    loc ? c.cyan(locationText(loc, options.root)) : c.dim('unknown location')
  const sections: string[] = []
  const retained = findings.filter((f): f is RetainedFinding & Finding => f.kind === 'retained')
  for (const r of retained) {
    if (r.sites.length > 0) {
      const width = Math.max(...r.sites.map((s) => s.functionName.length))
      sections.push(
        section(
          'allocated at (alive after GC)',
          r.sites.flatMap((s) => [
            `${formatBytes(s.bytes).padStart(7)}  ${s.functionName.padEnd(width)}  ${where(s.location)}`,
            ...dependencyLine(s.dependency, where).map((l) => `${' '.repeat(9)}${l}`),
          ]),
          c,
        ),
      )
    }
    if (r.retainedBy) sections.push(...retainedBySections(r.retainedBy, options.root, c))
    if (r.spies?.length) {
      const names = r.spies.join(', ')
      sections.push(
        section(
          "spies left in place (each keeps every call's arguments)",
          [
            `${names} ${r.spies.length === 1 ? 'is a spy' : 'are spies'} left in place, recording every call of the re-runs.`,
            'Restore it after the test: mockRestore(), vi.restoreAllMocks() / jest.restoreAllMocks() in afterEach, or restoreMocks: true in the config.',
          ],
          c,
        ),
      )
    }
  }
  const handles = findings.filter((f): f is HandleFinding & Finding => f.kind === 'handle')
  if (handles.length)
    sections.push(
      section(
        'left open',
        handles.flatMap((h) => madeAt(`${h.description} created`, h.createdAt, h.dependency, where)),
        c,
      ),
    )
  const listeners = findings.filter((f): f is ListenerFinding & Finding => f.kind === 'listener')
  if (listeners.length) sections.push(section('listeners still registered', listenerLines(listeners, where), c))
  const globals = findings.filter((f): f is GlobalFinding & Finding => f.kind === 'global')
  if (globals.length)
    sections.push(
      section(
        'new globals',
        globals.flatMap((g) =>
          g.assignedAt
            ? madeAt(`globalThis.${g.name} (${g.valueType}) assigned`, g.assignedAt, g.dependency, where)
            : [`globalThis.${g.name} (${g.valueType})`],
        ),
        c,
      ),
    )
  const watched = findings.filter((f): f is WatchedFinding & Finding => f.kind === 'watched')
  if (watched.length) {
    sections.push(
      section(
        'not collected after the test',
        watched.map((w) => `${JSON.stringify(w.label)} watched at ${where(w.watchedAt)}`),
        c,
      ),
    )
    for (const w of watched) if (w.retainedBy) sections.push(...retainedBySections(w.retainedBy, options.root, c))
  }
  const dom = findings.filter((f): f is DomFinding & Finding => f.kind === 'dom')
  if (dom.length) {
    const lines = dom.map(
      (d) =>
        `${d.root}${d.trees > 1 ? ` ×${d.trees}` : ''} (${plural(d.nodes, 'node')}) created at ${where(d.createdAt)}`,
    )
    sections.push(section('detached DOM trees (alive after GC, not in the document)', lines, c))
    for (const d of dom) if (d.retainedBy) sections.push(...retainedBySections(d.retainedBy, options.root, c))
  }
  for (const e of findings.filter((f): f is EnvironmentFinding & Finding => f.kind === 'environment')) {
    sections.push(
      section(
        'test files whose environment stayed alive after they ended (alive after a full GC, one file later)',
        [
          ...e.files.map((file) => relativeFile(file, options.root)),
          ...(e.createdAt ? [`held by the function written at ${where(e.createdAt)}`] : []),
          ...(e.retainedSize !== undefined
            ? [
                `${formatBytes(e.retainedSize)} kept alive with ${e.files.length > 1 ? 'the first file' : 'it'} (freed when what holds it lets go)`,
              ]
            : []),
        ],
        c,
      ),
    )
    if (e.retainedBy) sections.push(...retainedBySections(e.retainedBy, options.root, c))
  }
  const dependencies = dependenciesOf(findings)
  if (dependencies.length)
    sections.push(
      section(
        dependencies.length === 1 ? 'made inside a dependency' : 'made inside dependencies',
        [
          ...dependencies.map((d) => `${packageText(d)}: its code made it, called from yours.`),
          'Release what it made as the package documents (close, unsubscribe, unmount). If the package',
          'leaks on its own, upgrade it, or name it in `ignore` with a reason:',
          `  ${dependencies.map((d) => `{ package: '${d.name}', reason: '…' }`).join(', ')}`,
        ],
        c,
      ),
    )
  return [headline(findings), ...sections].join('\n\n')
}

/**
 * The line that says where something was made: for what a dependency made, the dependency's frame
 * (with its function) and under it the package and the user's call into it.
 */
function madeAt(
  what: string,
  at: SourceLocation | undefined,
  dependency: InDependency | undefined,
  where: (loc: SourceLocation | undefined) => string,
): string[] {
  const fn = dependency && at?.functionName && at.functionName !== '<anonymous>' ? ` (${at.functionName})` : ''
  return [`${what} at ${where(at)}${fn}`, ...dependencyLine(dependency, where).map((l) => `  ${l}`)]
}

function dependencyLine(
  dependency: InDependency | undefined,
  where: (loc: SourceLocation | undefined) => string,
): string[] {
  if (!dependency) return []
  const from = dependency.calledFrom
    ? `called from ${where(dependency.calledFrom)}`
    : 'not called from your code (no frame of it on the stack)'
  return [`inside dependency ${packageText(dependency)}, ${from}`]
}

export function packageText(dependency: InDependency): string {
  return dependency.version ? `${dependency.name} ${dependency.version}` : dependency.name
}

/** The dependencies that made findings, each once, in the order of the findings. */
function dependenciesOf(findings: FindingData[]): InDependency[] {
  const seen = new Map<string, InDependency>()
  for (const f of findings) {
    const all = f.kind === 'retained' ? f.sites.map((s) => s.dependency) : [findingDependency(f)]
    for (const d of all) if (d && !seen.has(packageText(d))) seen.set(packageText(d), d)
  }
  return [...seen.values()]
}

/** More event types than this on one target from one line read as one line (a UI library's root listeners). */
const EVENTS_PER_LINE = 3

/**
 * One line per target, event and line; a target that got many event types from one line (React
 * listens to every event on its root container, from one call of the user's) gets one line that
 * names a few of them.
 */
function listenerLines(listeners: ListenerFinding[], where: (loc: SourceLocation | undefined) => string): string[] {
  const byTargetAndLine = new Map<string, ListenerFinding[]>()
  for (const l of listeners) {
    // What a library added from one call of the user's is one group, whichever of its lines added each.
    const at = l.dependency
      ? `${l.dependency.name}\0${callerKey(l.dependency)}`
      : l.addedAt
        ? `${l.addedAt.file}:${l.addedAt.line}:${l.addedAt.column}`
        : ''
    const key = `${l.target}\0${at}`
    byTargetAndLine.set(key, [...(byTargetAndLine.get(key) ?? []), l])
  }
  const lines: string[] = []
  for (const group of byTargetAndLine.values()) {
    const events = [...new Set(group.map((l) => l.event))]
    if (events.length <= EVENTS_PER_LINE) {
      for (const l of group)
        lines.push(
          ...madeAt(
            `${l.target} ${JSON.stringify(l.event)}${l.capture ? ' (capture)' : ''}${l.count > 1 ? ` ×${l.count}` : ''} added`,
            l.addedAt,
            l.dependency,
            where,
          ),
        )
      continue
    }
    const count = group.reduce((n, l) => n + l.count, 0)
    const shown = events
      .slice(0, EVENTS_PER_LINE)
      .map((e) => JSON.stringify(e))
      .join(', ')
    lines.push(
      ...madeAt(
        `${group[0]!.target} ${shown} and ${plural(events.length - EVENTS_PER_LINE, 'more event type')} (${count} listeners) added`,
        group[0]!.addedAt,
        group[0]!.dependency,
        where,
      ),
    )
  }
  return lines
}

/** The heap snapshots' sections: what holds the leak and, when kept, the snapshot files; or why there are none. */
function retainedBySections(by: RetainedBy, root: string, c: Colors): string[] {
  if ('unavailable' in by) return [section('retained by', [c.dim(`not available: ${by.unavailable}`)], c)]
  const sections = [by.text]
  if (by.snapshots) {
    const files = [by.snapshots.before, by.snapshots.after].filter((f): f is string => f !== undefined)
    sections.push(
      section(
        'heap snapshots (Chrome DevTools, memlab)',
        files.map((f) => relativeFile(f, root)),
        c,
      ),
    )
  }
  return sections
}

/** The verdict's findings of one severity, with its notes, or '' when there are none. */
export function formatVerdict(verdict: Verdict, severity: 'error' | 'warn', options: FormatOptions): string {
  const findings = verdict.findings.filter((f) => f.severity === severity)
  return findings.length ? formatFindings(findings, options) : ''
}

/**
 * Where in the user's code the first of these findings was made (for what a dependency made, the
 * user's call into it): what a code frame and a CI annotation should show. Never a dependency's
 * file: it is not in the repository.
 */
export function leakLocation(findings: Finding[]): SourceLocation | undefined {
  for (const f of findings) {
    const at = findingOrigins(f).find((l) => ownerOf(l.file) === 'user')
    if (at) return at
  }
  return undefined
}

/** One line that says what was left: the first line of a LeakError. */
export function headline(findings: Finding[]): string {
  const parts: string[] = []
  for (const f of findings) {
    if (f.kind === 'retained') {
      const budget = `budget ${formatBytes(f.budget)}`
      parts.push(
        f.confirmed
          ? `retained ${formatBytes(f.bytes)} across ${f.runs} runs (+${formatBytes(f.perRun)} per run, ${budget})`
          : `retained ${formatBytes(f.bytes)} in its one run (not re-run, ${budget})`,
      )
    }
  }
  const count = (kind: Finding['kind']): number =>
    findings.filter((f) => f.kind === kind).reduce((n, f) => n + findingCount(f), 0)
  const handles = count('handle')
  if (handles) parts.push(`left ${plural(handles, 'handle')} open`)
  const listeners = count('listener')
  if (listeners) parts.push(`left ${plural(listeners, 'listener')} registered`)
  const globals = findings
    .filter((f): f is GlobalFinding & Finding => f.kind === 'global')
    .map((f) => (f.kind === 'global' ? f.name : ''))
  if (globals.length) parts.push(`added ${globals.length === 1 ? 'global' : 'globals'} ${globals.join(', ')}`)
  const watched = count('watched')
  if (watched) parts.push(`${plural(watched, 'watched object')} not collected`)
  const dom = findings.filter((f): f is DomFinding & Finding => f.kind === 'dom')
  if (dom.length) {
    const trees = dom.reduce((n, f) => n + f.trees, 0)
    const nodes = dom.reduce((n, f) => n + f.nodes, 0)
    parts.push(`left ${plural(trees, 'detached DOM tree')} (${plural(nodes, 'node')}) alive`)
  }
  const environments = count('environment')
  if (environments)
    parts.push(
      environments === 1
        ? "the test file's whole environment stayed alive after it ended"
        : `the same thing holds ${environments} test files' whole environments alive after they ended`,
    )
  const dependencies = dependenciesOf(findings)
  if (dependencies.length === 0) return parts.join('; ')
  const all = findings.every((f) => findingDependency(f) !== undefined)
  return `${parts.join('; ')} — ${all ? '' : 'partly '}made inside ${dependencies.map(packageText).join(', ')}`
}

/** A finding in a few words, for a note: `Timeout (setInterval 1 s) created at src/poll.ts:3:3`. */
export function describeFound(f: FindingData, root: string): string {
  const at = (loc: SourceLocation | undefined): string => (loc ? ` at ${locationText(loc, root)}` : '')
  // What a dependency made is told by the package and the user's line that called it.
  const made = (loc: SourceLocation | undefined, dependency: InDependency | undefined): string =>
    dependency
      ? ` inside ${packageText(dependency)}${dependency.calledFrom ? `, called from ${locationText(dependency.calledFrom, root)}` : ''}`
      : at(loc)
  switch (f.kind) {
    case 'handle':
      return `${f.description} created${made(f.createdAt, f.dependency)}`
    case 'listener':
      return `${f.target} ${JSON.stringify(f.event)} listener${f.count > 1 ? ` ×${f.count}` : ''} added${made(f.addedAt, f.dependency)}`
    case 'global':
      return `globalThis.${f.name} (${f.valueType})${f.assignedAt ? ` assigned${made(f.assignedAt, f.dependency)}` : ''}`
    case 'dom':
      return `${plural(f.trees, 'detached DOM tree')} ${f.root} (${plural(f.nodes, 'node')}) created${at(f.createdAt)}`
    case 'watched':
      return `${JSON.stringify(f.label)} watched${at(f.watchedAt)}`
    case 'retained':
      return `${formatBytes(f.bytes)} retained`
    case 'environment':
      return `the environment of ${f.files.map((file) => relativeFile(file, root)).join(', ')} alive${at(f.createdAt)}`
  }
}

function section(title: string, lines: string[], c: Colors): string {
  return [`  ${c.bold(title)}`, ...lines.map((l) => `    ${l}`)].join('\n')
}

export function locationText(loc: SourceLocation, root: string): string {
  const rel = relativeFile(loc.file, root)
  // A dependency's file outside the project (hoisted to a monorepo's root, in a pnpm store) from
  // its node_modules folder: the same on every machine.
  const inDependency = isAbsolute(rel) ? /[\\/](node_modules[\\/](?!.*[\\/]node_modules[\\/]).*)$/.exec(rel) : null
  return `${inDependency ? inDependency[1]!.split(sep).join('/') : rel}:${loc.line}:${loc.column}`
}

/** A file as reports print it: relative to `root` with `/` separators, or absolute when outside it. */
export function relativeFile(file: string, root: string): string {
  const rel = relative(root, file)
  return rel.startsWith('..') ? file : rel.split(sep).join('/')
}

function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? '' : 's'}`
}
