import { resolve } from 'node:path'
import { explainLeak } from '../snapshot/explain.js'
import type { Command } from './commands.js'
import { colorsFor, readingProgress, type CliIo } from './context.js'
import { emphasizeTitles } from './text.js'

/**
 * `leakproof diff before after`: what is new in `after` and what holds it, the same sections a
 * LeakError prints (the engine's `explainLeak`, nothing re-derived here).
 */
export const diff: Command = {
  name: 'diff',
  summary: 'what is alive in the second snapshot only, grouped, and what holds it',
  positionals: [
    { name: '<before.heapsnapshot>', description: 'a heap snapshot of a process' },
    { name: '<after.heapsnapshot>', description: 'a later heap snapshot of the same process (same worker thread)' },
  ],
  flags: [
    {
      name: 'root',
      kind: 'string',
      value: '<dir>',
      description: 'print files relative to this directory (default: the current one)',
    },
    {
      name: 'groups',
      kind: 'count',
      value: '<n>',
      description: 'list this many groups of new objects, biggest first (default 10)',
    },
    {
      name: 'paths',
      kind: 'count',
      value: '<n>',
      description: 'show a retainer path for this many of the top groups (default 3)',
    },
    {
      name: 'json',
      kind: 'boolean',
      description: "print the explanation as JSON on stdout (the engine's Explanation, schemaVersion 1)",
    },
  ],
  examples: [
    'leakproof diff before.heapsnapshot after.heapsnapshot',
    'leakproof diff a.heapsnapshot b.heapsnapshot --groups 20 --paths 5 --json > leak.json',
  ],
  async run({ positionals, flags }, io: CliIo) {
    const [before, after] = positionals as [string, string]
    const json = flags.json === true
    const root = resolve(io.cwd, typeof flags.root === 'string' ? flags.root : '.')
    const progress = readingProgress(io, json, 'reading snapshots')
    let explanation
    try {
      explanation = await explainLeak({
        before,
        after,
        root,
        maxGroups: typeof flags.groups === 'number' ? flags.groups : 10,
        maxPaths: typeof flags.paths === 'number' ? flags.paths : 3,
        onProgress: (read, total) => {
          progress.update(read, total)
          if (read >= total) progress.phase('analysing')
        },
      })
    } finally {
      progress.done()
    }
    if (json) {
      io.stdout.write(`${JSON.stringify(explanation, null, 2)}\n`)
      return 0
    }
    const c = colorsFor(io.stdout, io.env)
    const { total, paths } = explanation
    if (total.count === 0) {
      io.stdout.write(`  no new objects: nothing allocated between the two snapshots is still alive in ${after}\n`)
      return 0
    }
    const footer = [`  ${total.count.toLocaleString('en-US')} new objects in all`]
    if (paths[0])
      footer.push(`  the path to one ${paths[0].group} alone: leakproof inspect ${after} --path-to @${paths[0].id}`)
    io.stdout.write(`${emphasizeTitles(explanation.text, c)}\n\n${c.dim(footer.join('\n'))}\n`)
    return 0
  },
}
