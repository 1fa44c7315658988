/**
 * The findings model: plain, serialisable data (it crosses from a test worker to a reporter).
 * Sizes are bytes; locations are 1-based line and column in the original source.
 */
import type { Explanation } from './snapshot/explain.js'

export type Kind = 'retained' | 'handle' | 'listener' | 'global' | 'watched' | 'dom' | 'environment'
export const KINDS: readonly Kind[] = ['retained', 'handle', 'listener', 'global', 'watched', 'dom', 'environment']

/** What a kind's findings do to a test: fail it, print a warning beside it, or nothing (not even probed). */
export type Severity = 'error' | 'warn' | 'off'

export interface SourceLocation {
  file: string
  line: number
  column: number
  functionName?: string
}

/**
 * The dependency (a package under node_modules) whose code made a finding: the finding's own
 * location (`createdAt`, `addedAt`, `assignedAt`, an allocation site's) is then that package's frame.
 */
export interface InDependency {
  /** The package's name and installed version, from its package.json. */
  name: string
  version?: string
  /** The first frame of the user's own code that called into the package: the line in the repository. */
  calledFrom?: SourceLocation
}

export interface AllocationSite {
  /** Estimated bytes still alive that were allocated here (sampling heap profiler). */
  bytes: number
  functionName: string
  location?: SourceLocation
  dependency?: InDependency
}

/**
 * What holds a confirmed leak, from heap snapshots around one more run of the test: the report's
 * "retained by" section and its data, or why it could not be made.
 */
export type RetainedBy =
  | (Pick<Explanation, 'text' | 'groups' | 'paths'> & {
      /** The snapshot files, when kept (option `keepSnapshots`). */
      snapshots?: { before?: string; after: string }
    })
  | { unavailable: string }

export interface RetainedFinding {
  kind: 'retained'
  /** Growth of the live heap plus external memory across `runs` re-runs of the window. */
  bytes: number
  runs: number
  /** Smallest growth of one re-run (a majority of the runs grew past the budget). */
  minPerRun: number
  perRun: number
  budget: number
  sites: AllocationSite[]
  /** False when the test opted out of re-runs and was judged on a single run. */
  confirmed: boolean
  retainedBy?: RetainedBy
  /** Spies on global objects (`console.debug`) that recorded the re-runs' calls: left in place, the usual cause. */
  spies?: string[]
}

export interface HandleFinding {
  kind: 'handle'
  /** Node's resource type: Timeout, TCPSERVERWRAP, TCPWRAP, PIPEWRAP, PROCESSWRAP, … */
  type: string
  /** What a person calls it: `Timeout (setInterval 60 s)`, `Server (listening on 127.0.0.1:4312)`. */
  description: string
  createdAt?: SourceLocation
  dependency?: InDependency
  stack: string
}

export interface ListenerFinding {
  kind: 'listener'
  /**
   * The emitter or DOM event target, as named for a person: `process`, `EventEmitter`, `Socket`,
   * `window`, `document`, `document.body`, `<div#app.main>`.
   */
  target: string
  event: string
  count: number
  /** DOM listeners only: added for the capture phase. */
  capture?: boolean
  addedAt?: SourceLocation
  dependency?: InDependency
  stack: string
}

export interface GlobalFinding {
  kind: 'global'
  name: string
  valueType: string
  /** Where a re-run of the test assigned it (only re-runs watch the assignment: the name is known then). */
  assignedAt?: SourceLocation
  dependency?: InDependency
}

export interface WatchedFinding {
  kind: 'watched'
  label: string
  watchedAt?: SourceLocation
  retainedBy?: RetainedBy
}

/**
 * DOM nodes made in the window, alive after a full GC and not in the document: one or more detached
 * trees whose roots have the same name and were made at the same line.
 */
export interface DomFinding {
  kind: 'dom'
  /** The trees' root, as named for a person: `<tr#row-3.selected>`, `#document-fragment`. */
  root: string
  /** How many such trees. */
  trees: number
  /** Nodes in all of them together. */
  nodes: number
  /** Where the root was made (else the first node of the tree made in the window). */
  createdAt?: SourceLocation
  stack: string
  /** What holds the first tree's root, from a heap snapshot (option `explain`). */
  retainedBy?: RetainedBy
}

/**
 * Test files whose whole environment (Jest's vm context of the file, a Vitest vm pool's context)
 * stayed alive after the file ended, held by the same path: something process-wide (a patched
 * core module, a `process` listener, a timer, a registry on a shared object) keeps a function of
 * theirs. Reported under the first of the files.
 */
export interface EnvironmentFinding {
  kind: 'environment'
  /** The test files (absolute), in the order they ran. */
  files: string[]
  /** Where the function that holds them is written (the patch, the listener), from the heap snapshot. */
  createdAt?: SourceLocation
  /** The path from a GC root to the first file's environment (option `explain`). */
  retainedBy?: RetainedBy
  /**
   * Bytes of the first file's whole environment, from the snapshot: what is freed when its global
   * and its vm context go (its globals, module registry, every function made in it and what only
   * they reach). What the holding function's own scope keeps is not counted.
   */
  retainedSize?: number
}

/** What a probe found, before the options give it a severity. */
export type FindingData =
  RetainedFinding | HandleFinding | ListenerFinding | GlobalFinding | WatchedFinding | DomFinding | EnvironmentFinding

export type Finding = FindingData & {
  severity: 'error' | 'warn'
}

/** `known`: a leak the baseline file lists, not grown: reported, not failed. */
export type VerdictState = 'clean' | 'leak' | 'known' | 'skipped'

/** A finding an `ignore` rule hid: what it was, and the rule's reason. */
export interface IgnoredFinding {
  kind: Kind
  what: string
  reason: string
}

export interface Verdict {
  state: VerdictState
  findings: Finding[]
  /** Findings the `ignore` rules hid. */
  ignored?: IgnoredFinding[]
  /** Things a person should know that are not findings: why a check was skipped or not confirmed. */
  notes: string[]
}

/**
 * Where a finding was made, best first: a creation, registration or assignment site, or its
 * allocation sites. For what a dependency made, the user's call into it comes first: the line in
 * the repository.
 */
export function findingOrigins(f: Finding): SourceLocation[] {
  if (f.kind === 'retained') return f.sites.flatMap((s) => sitesOf(s.location, s.dependency))
  if (f.kind === 'handle' || f.kind === 'dom' || f.kind === 'environment')
    return sitesOf(f.createdAt, f.kind === 'handle' ? f.dependency : undefined)
  if (f.kind === 'listener') return sitesOf(f.addedAt, f.dependency)
  if (f.kind === 'global') return sitesOf(f.assignedAt, f.dependency)
  return sitesOf(f.watchedAt, undefined)
}

function sitesOf(at: SourceLocation | undefined, dependency: InDependency | undefined): SourceLocation[] {
  return [dependency?.calledFrom, at].filter((l): l is SourceLocation => l !== undefined)
}

/** The dependency that made a finding (every allocation site of retained memory in the same package), if one did. */
export function findingDependency(f: FindingData): InDependency | undefined {
  if (f.kind === 'retained') {
    const first = f.sites[0]?.dependency
    return first && f.sites.every((s) => s.dependency?.name === first.name) ? first : undefined
  }
  return f.kind === 'handle' || f.kind === 'listener' || f.kind === 'global' ? f.dependency : undefined
}

/** How many things a finding counts: listeners registered, detached trees, else one. */
export function findingCount(f: Finding): number {
  return f.kind === 'listener' ? f.count : f.kind === 'dom' ? f.trees : f.kind === 'environment' ? f.files.length : 1
}
