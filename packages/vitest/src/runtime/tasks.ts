/**
 * The parts of Vitest's tasks the adapter reads (the runner's own types moved between 4.1 and 5),
 * and the one piece of glue that needs Vitest's worker: holding a test's result back until its
 * verdict is known.
 */
import type { TaskMeta, TestContext } from 'vitest'

type RetryCondition = RegExp | ((error: { name?: string; message?: string }) => boolean)

export interface VitestSuite {
  name: string
  mode?: string
  type?: string
  filepath?: string
  suite?: VitestSuite
  tasks?: Array<VitestSuite | VitestTest>
}

export interface VitestTest {
  id: string
  name: string
  type: 'test'
  mode: string
  retry?: number | { count?: number; delay?: number; condition?: RetryCondition }
  concurrent?: boolean
  fails?: boolean
  meta: TaskMeta
  result?: { state: string; errors?: Array<{ name: string; message: string; stack: string }> }
  suite?: VitestSuite
  file: VitestSuite & { filepath: string; meta: TaskMeta }
  context: TestContext
}

type Pack = [id: string, result: unknown, meta: unknown]
type TaskEvent = [id: string, event: string, data: unknown]
interface WorkerRpc {
  onTaskUpdate(packs: Pack[], events: TaskEvent[]): Promise<void>
}

export interface HeldResults {
  /** From now on, the test's 'test-finished' event waits for `release`. */
  hold(test: VitestTest): void
  /** Sends the test's result as it is now, with its 'test-finished' event. */
  release(test: VitestTest): Promise<void>
  /**
   * Gives the worker its own rpc back when the file is over. The worker outlives the file (in the
   * vm pools it runs every file of a worker, each in a vm context of its own): a wrapper left on
   * it would keep this file's context alive, and the next file's would wrap this one's.
   */
  restore(): void
}

/**
 * A test that waits for its verdict (judged after later tests, see setup.ts) must not reach the
 * reporters as finished and passed first: the verbose reporter would print it with a tick, the UI
 * would show it green. The worker sends task updates through `__vitest_worker__.rpc`; its
 * 'test-finished' events of held tests wait, and are sent with the final result. Where the worker
 * has no such rpc (a Vitest that moved it), results are sent again as they change: reporters that
 * read the end state (default, json, junit, github-actions, blob) still see the failure.
 */
export function holdFinishedEvents(worker: object): HeldResults {
  const state = worker as { rpc?: WorkerRpc }
  const held = new Map<string, TaskEvent[]>()
  const original = state.rpc
  let wrapper: WorkerRpc | undefined
  if (original && typeof original.onTaskUpdate === 'function') {
    state.rpc = wrapper = new Proxy(original, {
      get(target, key, receiver) {
        const value = Reflect.get(target, key, receiver) as unknown
        if (key !== 'onTaskUpdate' || held.size === 0) return value
        return (packs: Pack[], events: TaskEvent[]) => {
          const passing = events.filter(([id, event]) => {
            const waiting = event === 'test-finished' ? held.get(id) : undefined
            waiting?.push([id, event, undefined])
            return waiting === undefined
          })
          return target.onTaskUpdate(packs, passing)
        }
      },
    })
  }
  return {
    hold: (test) => void held.set(test.id, []),
    async release(test) {
      const events = held.get(test.id) ?? []
      held.delete(test.id)
      await original?.onTaskUpdate([[test.id, test.result, test.meta]], events)
    },
    restore() {
      if (wrapper && state.rpc === wrapper) state.rpc = original
    },
  }
}
