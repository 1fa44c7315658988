import { resolve } from 'node:path'
import { formatBytes } from '../size.js'
import { formatRetainerPath } from '../snapshot/format-retainers.js'
import { objectPath, type ObjectPath } from '../snapshot/object-path.js'
import { parseHeapSnapshot } from '../snapshot/parse.js'
import type { Command } from './commands.js'
import { CliError, colorsFor, readingProgress, type CliIo } from './context.js'
import { emphasizeTitles } from './text.js'

/** What `inspect --json` prints. */
export type InspectResult = Extract<ObjectPath, { path: unknown }>

/** `leakproof inspect file --path-to id`: the folded path from a GC root to one object. */
export const inspect: Command = {
  name: 'inspect',
  summary: 'the shortest path from a GC root to one object, and what it retains',
  positionals: [{ name: '<file.heapsnapshot>', description: 'a heap snapshot' }],
  flags: [
    {
      name: 'path-to',
      kind: 'node-id',
      value: '<node id>',
      required: true,
      description: 'the object: its V8 id (DevTools shows @12345; leakproof diff --json gives paths[].id)',
    },
    {
      name: 'root',
      kind: 'string',
      value: '<dir>',
      description: 'print files relative to this directory (default: the current one)',
    },
    { name: 'json', kind: 'boolean', description: 'print { id, path, selfSize, retainedSize } as JSON on stdout' },
  ],
  examples: ['leakproof inspect after.heapsnapshot --path-to @12345'],
  async run({ positionals, flags }, io: CliIo) {
    const [file] = positionals as [string]
    const id = flags['path-to'] as number
    const json = flags.json === true
    const root = resolve(io.cwd, typeof flags.root === 'string' ? flags.root : '.')
    const progress = readingProgress(io, json, 'reading snapshot')
    let result: InspectResult
    try {
      const snapshot = await parseHeapSnapshot(file, {
        onProgress: (read, total) => {
          progress.update(read, total)
          if (read >= total) progress.phase('finding the path')
        },
      })
      const found = objectPath(snapshot, id)
      if ('missing' in found && found.missing === 'no such object')
        throw new CliError(
          `leakproof: ${file} has no object with id @${id}; take the id from the same snapshot (DevTools shows it as @${id}, leakproof diff --json as paths[].id).`,
        )
      if ('missing' in found)
        throw new CliError(
          `leakproof: object @${id} (${found.description}) in ${file} is not reachable from a GC root over strong references; only weak references hold it, so the next full GC frees it.`,
        )
      result = found
    } finally {
      progress.done()
    }
    if (json) {
      io.stdout.write(`${JSON.stringify(result, null, 2)}\n`)
      return 0
    }
    const c = colorsFor(io.stdout, io.env)
    const last = result.path.at(-1)
    const sizes = `${formatBytes(result.selfSize)} self, ${formatBytes(result.retainedSize)} retained (freed with it)`
    const text = last
      ? [
          formatRetainerPath(result.path, root, `path to @${id} (shortest from a GC root, strong references only)`),
          `  @${id} ${last.node}: ${sizes}`,
        ].join('\n\n')
      : `  @${id} is the snapshot's root (every GC root hangs off it): ${sizes}`
    io.stdout.write(`${emphasizeTitles(text, c)}\n`)
    return 0
  },
}
