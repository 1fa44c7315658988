import { resolve } from 'node:path'
import { formatBytes } from '../size.js'
import { describeNode, isInternal } from '../snapshot/describe-node.js'
import { dominators } from '../snapshot/dominators.js'
import { foldPath, type FoldedStep } from '../snapshot/fold.js'
import { formatRetainerPath } from '../snapshot/format-retainers.js'
import { parseHeapSnapshot } from '../snapshot/parse.js'
import { pathFromRoot } from '../snapshot/paths.js'
import type { Command } from './commands.js'
import { CliError, colorsFor, readingProgress, type CliIo } from './context.js'
import { emphasizeTitles } from './text.js'

/** What `inspect --json` prints. */
export interface InspectResult {
  /** The V8 object id asked for. */
  id: number
  /** From the GC root to the object, folded as in a leak report; the last step is the object. */
  path: FoldedStep[]
  /** Bytes, the object's own. */
  selfSize: number
  /** Bytes freed with it: everything only reachable through it. */
  retainedSize: number
}

/** `leakproof inspect file --path-to id`: the folded path from a GC root to one object. */
export const inspect: Command = {
  name: 'inspect',
  summary: 'the shortest path from a GC root to one object, and what it retains',
  positionals: [{ name: '<file.heapsnapshot>', description: 'a heap snapshot' }],
  flags: [
    { name: 'path-to', kind: 'node-id', value: '<node id>', required: true, description: 'the object: its V8 id (DevTools shows @12345; leakproof diff --json gives paths[].id)' },
    { name: 'root', kind: 'string', value: '<dir>', description: 'print files relative to this directory (default: the current one)' },
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
      const node = snapshot.nodeOfId(id)
      if (node < 0) throw new CliError(`leakproof: ${file} has no object with id @${id}; take the id from the same snapshot (DevTools shows it as @${id}, leakproof diff --json as paths[].id).`)
      const hops = pathFromRoot(snapshot, node)
      if (!hops) throw new CliError(`leakproof: object @${id} (${describeNode(snapshot, node)}) in ${file} is not reachable from a GC root over strong references; only weak references hold it, so the next full GC frees it.`)
      const path = foldPath(snapshot, hops)
      // foldPath steps over V8 internals; an internal object asked for by id is still the path's end.
      if (hops.length > 0 && isInternal(snapshot, node)) path.push({ edge: String(snapshot.edgeName(hops[hops.length - 1]!.edge)), node: describeNode(snapshot, node) })
      result = { id, path, selfSize: snapshot.selfSize(node), retainedSize: dominators(snapshot).retainedSize[node]! }
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
      ? [formatRetainerPath(result.path, root, `path to @${id} (shortest from a GC root, strong references only)`), `  @${id} ${last.node}: ${sizes}`].join('\n\n')
      : `  @${id} is the snapshot's root (every GC root hangs off it): ${sizes}`
    io.stdout.write(`${emphasizeTitles(text, c)}\n`)
    return 0
  },
}
