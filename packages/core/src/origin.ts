/**
 * Which code made a finding, from the stack it was made on: the user's own, or a dependency's (a
 * package under node_modules). A library's leak is told from the user's as LeakCanary tells library
 * leaks from application leaks: the report names the library's frame that made it, the package and
 * its installed version, and the user's line that called into the library (where to look in the
 * repository, and where CI annotates).
 */
import { existsSync, readFileSync } from 'node:fs'
import { basename, dirname, join } from 'node:path'
import type { InDependency, SourceLocation } from './findings.js'
import { DOM_IMPLEMENTATION, ownerOf, type StackFrame } from './stack.js'

/** A package as its package.json names it. */
export interface InstalledPackage {
  name: string
  version?: string
}

/** The installed package a file of a dependency belongs to (its package.json), if one can be read. */
export type PackageLookup = (file: string) => InstalledPackage | undefined

export interface Origin {
  /** The innermost frame of the user's code or of a dependency's: the code that made it. */
  at: StackFrame
  /** Set when `at` is a dependency's. */
  dependency?: InDependency
}

/**
 * The frame that made a finding (innermost first in `frames`) and, when it is a dependency's, which
 * package it is and the first frame of the user's code outside it. Node's frames, the framework's
 * and leakproof's are passed over: they are neither the user's doing nor a library's; so are the
 * DOM implementation's, which implement the globals a test calls (jsdom's `setTimeout`), unless
 * nothing else is on the stack.
 */
export function originOf(frames: StackFrame[], packageOf: PackageLookup = installedPackage): Origin | undefined {
  const library = (f: StackFrame): boolean => isCodeOf(f, 'dependency') && !DOM_IMPLEMENTATION.test(f.file)
  let i = frames.findIndex((f) => isCodeOf(f, 'user') || library(f))
  if (i < 0) i = frames.findIndex((f) => isCodeOf(f, 'dependency'))
  const at = frames[i]
  if (!at) return undefined
  if (isCodeOf(at, 'user')) return { at }
  const pkg = packageOf(at.file) ?? { name: packageNameInPath(at.file) }
  const caller = frames.slice(i + 1).find((f) => isCodeOf(f, 'user'))
  return {
    at,
    dependency: {
      name: pkg.name,
      ...(pkg.version !== undefined && { version: pkg.version }),
      ...(caller && { calledFrom: location(caller) }),
    },
  }
}

/** Tells apart what one library line made for different calls of the user's: a grouping key's part. */
export function callerKey(dependency: InDependency | undefined): string {
  const c = dependency?.calledFrom
  return c ? `${c.file}:${c.line}:${c.column}` : ''
}

function isCodeOf(frame: StackFrame, owner: 'user' | 'dependency'): boolean {
  return ownerOf(frame.file) === owner
}

function location(frame: StackFrame): SourceLocation {
  return { file: frame.file, line: frame.line, column: frame.column, functionName: frame.functionName }
}

/** `node_modules/@scope/name/…` or `node_modules/name/…` (the innermost node_modules): the package's name. */
export function packageNameInPath(file: string): string {
  const parts = file.split(/[\\/]/)
  const at = parts.lastIndexOf('node_modules')
  if (at < 0 || at + 1 >= parts.length) return basename(dirname(file))
  const first = parts[at + 1]!
  return first.startsWith('@') && at + 2 < parts.length ? `${first}/${parts[at + 2]}` : first
}

const packages = new Map<string, InstalledPackage | undefined>()

/**
 * The package.json nearest above `file` that names a package (a `{"type": "module"}` marker in a
 * package's dist/ does not), read once per directory, never above the package's node_modules.
 */
export function installedPackage(file: string): InstalledPackage | undefined {
  const dir = dirname(file)
  if (packages.has(dir)) return packages.get(dir)
  let found: InstalledPackage | undefined
  const manifest = join(dir, 'package.json')
  const data = existsSync(manifest) ? readManifest(manifest) : undefined
  if (typeof data?.name === 'string')
    found = { name: data.name, ...(typeof data.version === 'string' && { version: data.version }) }
  else if (basename(dir) !== 'node_modules' && dirname(dir) !== dir) found = installedPackage(dir)
  packages.set(dir, found)
  return found
}

function readManifest(file: string): { name?: unknown; version?: unknown } | undefined {
  try {
    return JSON.parse(readFileSync(file, 'utf8')) as { name?: unknown; version?: unknown }
  } catch {
    return undefined
  }
}
