import { Session } from 'node:inspector'

let session: Session | undefined

/** One in-process inspector session for the engine (the profiler, source maps of running scripts). */
export function inspectorSession(): Session {
  if (!session) {
    session = new Session()
    session.connect()
  }
  return session
}

export function post<T>(method: string, params?: object): Promise<T> {
  return new Promise((resolve, reject) => {
    inspectorSession().post(method, params ?? {}, (error, result) => (error ? reject(error) : resolve(result as T)))
  })
}
