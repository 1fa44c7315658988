import { Session } from 'node:inspector'

/**
 * One in-process inspector session per isolate (main thread or worker), shared by the sampling
 * profiler and heap snapshot capture. Messages posted on an in-process session are dispatched
 * synchronously: events such as snapshot chunks arrive before `post` resolves.
 */
let session: Session | undefined

export function inspectorSession(): Session {
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
