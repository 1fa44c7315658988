import { Session } from 'node:inspector'

/**
 * One in-process inspector session per isolate (main thread or worker), shared by the sampling
 * profiler and, around a heap snapshot, the debugger's line-ends priming and object ids (capture.ts).
 * Messages posted on an in-process session are dispatched synchronously: their answers and events
 * arrive before `post` returns.
 */
let session: Session | undefined

function inspectorSession(): Session {
  if (!session) {
    session = new Session()
    session.connect()
  }
  return session
}

export function post<T>(method: string, params?: object): Promise<T> {
  const s = inspectorSession()
  return new Promise((resolve, reject) => {
    s.post(method, params ?? {}, (error, result) => (error ? reject(error) : resolve(result as T)))
  })
}

/**
 * The same, returning the result directly. Capture uses it so that no promise or suspended async
 * function of its own is alive inside the snapshot, where it would read as new objects in a diff.
 */
export function postSync<T>(method: string, params?: object): T {
  let outcome: { error: Error | null; result?: unknown } | undefined
  inspectorSession().post(method, params ?? {}, (error, result) => {
    outcome = { error, result }
  })
  if (!outcome) throw new Error(`leakproof: the inspector did not answer ${method} synchronously`)
  if (outcome.error) throw outcome.error
  return outcome.result as T
}
