import { clearTimeout, setTimeout } from 'node:timers'

/**
 * `work`, or a rejection with `message` once `limitMs` have passed without it settling. What `work`
 * goes on doing after that is not awaited: a re-run past its time waits for something that will not
 * come, and the run goes on without it. Node's own timers: the global ones may be fake (a test that
 * left fake timers on) or a DOM's, and would never fire or would count as the test's.
 */
export async function withinTime<T>(work: Promise<T>, limitMs: number, message: string): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined
  const tooLong = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(message)), limitMs)
  })
  try {
    return await Promise.race([work, tooLong])
  } finally {
    clearTimeout(timer)
  }
}
