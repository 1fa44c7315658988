/**
 * The environments of a worker's last files (environments.ts) are judged on the full GCs of the files
 * after them, and the last ones have no file after them. The end of a worker process leaves no time
 * for it: jest-worker kills a worker 500 ms after asking it to stop (`workerGracefulExitTimeout`).
 * But every Jest worker waits, idle, until the reporter has taken the run's last file result (Jest
 * awaits it before it ends its workers). So a worker that watches environments says so in the run's
 * checking folder; at the last result the reporter asks those workers, one at a time (each may take
 * a heap snapshot), to judge what they still watch, and waits for their verdicts.
 */
import { existsSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import { isMainThread, threadId } from 'node:worker_threads'
import { finishEnvironments } from '../environment-verdicts.js'
import type { TestReport } from './model.js'
import { testReport } from './record.js'
import { CHECKING_DIR_VARIABLE, REPORTER_PID_VARIABLE } from './interrupted.js'

const WATCHING = '.watching'
const JUDGE_NOW = '.judge-now'
const JUDGED = '.judged.json'

/** How often an idle worker looks for the reporter's request: a stat call, five times a second. */
const POLL_MS = 200

/**
 * How long the reporter waits for one worker's verdicts: two full GCs, and for a held environment a
 * heap snapshot and its analysis (18 s for a 150 MB heap on Node 20, see bench/explain-overhead).
 */
export const LAST_ENVIRONMENTS_WAIT_MS = 180_000

let listening = false

/**
 * In a worker whose reporter runs in another process (or thread), once per worker: from now on it
 * answers the reporter's request at the end of the run with the verdicts on the environments it
 * still watches. Jest in band needs none of this: its reporter judges them itself.
 */
export function judgeLastEnvironmentsWhenAsked(root: string): void {
  const dir = process.env[CHECKING_DIR_VARIABLE]
  const inBand = isMainThread && process.env[REPORTER_PID_VARIABLE] === String(process.pid)
  if (listening || !dir || inBand) return
  listening = true
  const key = `${process.pid}-${threadId}`
  try {
    writeFileSync(join(dir, key + WATCHING), '')
  } catch {
    return // No folder (the run is over): nothing to answer.
  }
  const poll = setInterval(() => {
    if (!existsSync(join(dir, key + JUDGE_NOW))) return
    clearInterval(poll)
    void answer(dir, key, root)
  }, POLL_MS)
  // The worker's event loop is Jest's to end.
  poll.unref()
}

async function answer(dir: string, key: string, root: string): Promise<void> {
  let tests: TestReport[] = []
  try {
    tests = (await finishEnvironments()).map(({ file, verdict }) => testReport(root, file, '', verdict))
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
 * In the reporter, at the run's last file result, while the workers still live: each worker that
 * watches environments judges them, one after the other. A worker that is gone (killed for its
 * memory, or crashed) is not waited for; one that does not answer in time is named on stderr.
 */
export async function lastEnvironments(dir: string, waitMs = LAST_ENVIRONMENTS_WAIT_MS): Promise<TestReport[]> {
  let keys: string[]
  try {
    keys = readdirSync(dir)
      .filter((n) => n.endsWith(WATCHING))
      .map((n) => n.slice(0, -WATCHING.length))
  } catch {
    return []
  }
  const tests: TestReport[] = []
  for (const key of keys) {
    rmSync(join(dir, key + WATCHING), { force: true })
    writeFileSync(join(dir, key + JUDGE_NOW), '')
    const judged = await answerOf(dir, key, waitMs)
    rmSync(join(dir, key + JUDGE_NOW), { force: true })
    if (judged) tests.push(...judged)
    else if (isAlive(Number(key.split('-')[0])))
      process.stderr.write(
        `leakproof: worker ${key} did not judge the environments of its last test files within ${waitMs / 1000} s; they are not in the report\n`,
      )
  }
  return tests
}

async function answerOf(dir: string, key: string, waitMs: number): Promise<TestReport[] | undefined> {
  const file = join(dir, key + JUDGED)
  const pid = Number(key.split('-')[0])
  const deadline = Date.now() + waitMs
  while (Date.now() < deadline) {
    if (existsSync(file)) {
      const tests = JSON.parse(readFileSync(file, 'utf8')) as TestReport[]
      rmSync(file, { force: true })
      return tests
    }
    if (!isAlive(pid)) return undefined
    await sleep(50)
  }
  return undefined
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
