/**
 * The environments of a worker's last files (environments.ts) are judged on the full GCs of the files
 * after them, and the last ones have no file after them. The end of a worker process leaves no time
 * for it: jest-worker kills a worker 500 ms after asking it to stop (`workerGracefulExitTimeout`).
 * But every Jest worker waits, idle, until the reporter has taken the run's last file result (Jest
 * awaits it before it ends its workers). So a worker that watches environments says so in the run's
 * checking folder; at the last result the reporter asks those workers to judge what they still watch,
 * and waits for their verdicts. Vitest stops each
 * worker after its own last file and awaits the worker's cleanups (up to 60 s) before it ends it:
 * there the worker judges them in a cleanup, and the reporter waits for the verdicts at the run's end.
 */
import { existsSync, readdirSync, readFileSync, renameSync, rmSync, watch, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import { threadId } from 'node:worker_threads'
import { finishEnvironments } from '../environment-verdicts.js'
import { environments } from '../environments.js'
import type { TestReport } from './model.js'
import { testReport } from './record.js'
import { CHECKING_DIR_VARIABLE, isReporterThread } from './interrupted.js'

const WATCHING = '.watching'
const JUDGE_NOW = '.judge-now'
const JUDGED = '.judged.json'

/** How often an idle worker looks for the reporter's request where the folder cannot be watched. */
const POLL_MS = 200

/**
 * How long the reporter waits for one worker's verdicts: two full GCs, and for a held environment a
 * heap snapshot and its analysis (18 s for a 150 MB heap on Node 20, see bench/explain-time.mjs).
 */
const LAST_ENVIRONMENTS_WAIT_MS = 180_000

let announced = false

/**
 * Once per worker whose reporter runs in another process or thread: says in the run's checking
 * folder that this worker watches environments. Undefined where there is no one to tell: no
 * reporter, or Jest in band (its reporter judges them itself).
 */
function announceWatching(): { dir: string; key: string } | undefined {
  const dir = process.env[CHECKING_DIR_VARIABLE]
  if (announced || !dir || isReporterThread() || !environments.perFile) return undefined
  announced = true
  const key = `${process.pid}-${threadId}`
  try {
    writeFileSync(join(dir, key + WATCHING), '')
  } catch {
    return undefined // No folder (the run is over): nothing to answer.
  }
  return { dir, key }
}

/**
 * Jest: from now on this worker answers the reporter's request at the end of the run with the
 * verdicts on the environments it still watches.
 */
export function judgeLastEnvironmentsWhenAsked(root: string): void {
  const at = announceWatching()
  if (!at) return
  const request = at.key + JUDGE_NOW
  let answered = false
  const answerOnce = (): void => {
    if (answered || !existsSync(join(at.dir, request))) return
    answered = true
    stop()
    void answer(at.dir, at.key, root, false)
  }
  // Told at once by the file system; where it cannot watch (out of inotify watches), a look five
  // times a second. Neither keeps the worker alive: its event loop is Jest's to end.
  let stop: () => void
  try {
    const watcher = watch(at.dir, { persistent: false }, answerOnce)
    watcher.on('error', () => {})
    stop = () => watcher.close()
  } catch {
    const poll = setInterval(answerOnce, POLL_MS).unref()
    stop = () => clearInterval(poll)
  }
}

/**
 * Vitest: the environments this worker still watches are judged as it stops, in `onStop` (the
 * worker state's `onCleanup`: Vitest awaits it, up to 60 s, before it ends the worker), and the
 * reporter waits for the verdicts. All but the last file's: Vitest itself still holds that one.
 */
export function judgeLastEnvironmentsAtStop(root: string, onStop: (work: () => Promise<void>) => void): void {
  const at = announceWatching()
  if (at) onStop(() => answer(at.dir, at.key, root, true))
}

async function answer(dir: string, key: string, root: string, hostHoldsLatest: boolean): Promise<void> {
  let tests: TestReport[] = []
  try {
    tests = (await finishEnvironments(hostHoldsLatest)).map(({ file, verdict }) => testReport(root, file, '', verdict))
  } catch (error) {
    process.stderr.write(
      `leakproof: judging the environments of this worker's last test files failed: ${String(error)}\n`,
    )
  }
  // Written whole, then named: the reporter never reads half a file.
  writeFileSync(join(dir, key + JUDGED + '.tmp'), JSON.stringify(tests))
  renameSync(join(dir, key + JUDGED + '.tmp'), join(dir, key + JUDGED))
}

/**
 * In the reporter, once the run's files are done: the verdicts of each worker that watches
 * environments. `ask`: the workers wait to be asked (Jest's, idle until the reporter lets the run
 * end); otherwise they judge as they stop (Vitest's). A worker that is gone (killed for its memory,
 * or crashed) is not waited for; one that does not answer in time is named on stderr.
 */
export async function lastEnvironments(
  dir: string,
  { ask, waitMs = LAST_ENVIRONMENTS_WAIT_MS }: { ask: boolean; waitMs?: number },
): Promise<TestReport[]> {
  let keys: string[]
  try {
    keys = readdirSync(dir)
      .filter((n) => n.endsWith(WATCHING))
      .map((n) => n.slice(0, -WATCHING.length))
  } catch {
    return []
  }
  for (const key of keys) {
    rmSync(join(dir, key + WATCHING), { force: true })
    if (ask) writeFileSync(join(dir, key + JUDGE_NOW), '')
  }
  // All at once: each worker's two full GCs take tens of milliseconds, and only one that holds an
  // environment takes a snapshot.
  const judged = await Promise.all(keys.map((key) => answerOf(dir, key, waitMs)))
  return keys.flatMap((key, i) => {
    rmSync(join(dir, key + JUDGE_NOW), { force: true })
    if (!judged[i] && isAlive(pidOf(key)))
      process.stderr.write(
        `leakproof: worker ${key} did not judge the environments of its last test files within ${waitMs / 1000} s; they are not in the report\n`,
      )
    return judged[i] ?? []
  })
}

async function answerOf(dir: string, key: string, waitMs: number): Promise<TestReport[] | undefined> {
  const file = join(dir, key + JUDGED)
  const pid = pidOf(key)
  const deadline = Date.now() + waitMs
  while (Date.now() < deadline) {
    if (existsSync(file)) {
      const tests = JSON.parse(readFileSync(file, 'utf8')) as TestReport[]
      rmSync(file, { force: true })
      return tests
    }
    if (!isAlive(pid)) return undefined
    await sleep(10)
  }
  return undefined
}

/** The process of a worker's key (`<pid>-<threadId>`). */
function pidOf(key: string): number {
  return Number(key.split('-')[0])
}

/** Whether a process runs (a worker thread's is the reporter's own: it does). */
function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0)
    return true
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM'
  }
}
