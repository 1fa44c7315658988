import { locationText, relativeFile } from '../format.js'
import { formatBytes } from '../size.js'
import type { FoldedStep } from './fold.js'

/** Counts as reports print them: 20,000. */
const count = (n: number): string => n.toLocaleString('en-US')

/**
 * The "retained by" section of a leak report: one folded path, each step two spaces deeper than
 * the one holding it, as in DESIGN.md's "A failure should read like this":
 *
 * ```
 *   retained by (shortest path from a GC root)
 *     module src/user-cache.js
 *       → cache  Map (20,000 entries)
 *         → value  Object {requestId, name, tags}  ×20,000  3.9 MB
 * ```
 */
export function formatRetainerPath(
  steps: FoldedStep[],
  root: string,
  title = 'retained by (shortest path from a GC root)',
): string {
  return [`  ${title}`, ...formatSteps(steps, root, 4)].join('\n')
}

/** The steps of a path or cycle, the first at `indent` spaces. */
export function formatSteps(steps: FoldedStep[], root: string, indent: number): string[] {
  return steps.map((step, i) => {
    const parts = [step.edge ? `→ ${step.edge}  ${step.node}` : step.node]
    if (step.file) {
      const { file, line, column } = step
      parts.push(
        step.node === 'module'
          ? ` ${relativeFile(file, root)}`
          : `  ${line && column ? locationText({ file, line, column }, root) : relativeFile(file, root)}`,
      )
    }
    if (step.count !== undefined) parts.push(`  ×${count(step.count)}`)
    if (step.size !== undefined) parts.push(`  ${formatBytes(step.size)}`)
    return `${' '.repeat(indent + 2 * i)}${parts.join('')}`
  })
}

export interface GroupRow {
  name: string
  count: number
  selfSize: number
  retainedSize: number
}

/** The "new objects" section of a diff: one line per group, biggest retained size first. */
export function formatGroups(
  groups: GroupRow[],
  title = 'new objects (alive only in the second snapshot)',
  smaller = 0,
): string {
  const rows = groups.map((g) => [`×${count(g.count)}`, formatBytes(g.retainedSize), formatBytes(g.selfSize), g.name])
  const widths = [0, 1, 2].map((c) =>
    Math.max(c === 1 ? 'retained'.length : c === 2 ? 'self'.length : 0, ...rows.map((r) => r[c]!.length)),
  )
  const line = (cells: string[]): string =>
    `    ${cells
      .slice(0, 3)
      .map((cell, c) => (c === 0 ? cell.padEnd(widths[c]!) : cell.padStart(widths[c]!)))
      .join('  ')}  ${cells[3]}`.trimEnd()
  const rest =
    smaller > 0 ? [`    … and ${count(smaller)} smaller ${smaller === 1 ? 'group' : 'groups'} (under 1 KB each)`] : []
  return [`  ${title}`, line(['', 'retained', 'self', '']), ...rows.map(line), ...rest].join('\n')
}
