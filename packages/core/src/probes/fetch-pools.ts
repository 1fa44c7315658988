/**
 * Node's `fetch` (undici's global dispatcher) keeps a connection pool for every origin it talked to.
 * Up to undici 6 (Node 20's) its Agent never lets go of one: a suite whose servers listen on a new
 * port for each test, or for each re-run, leaves one pool per origin behind (20–35 KB each, its
 * request queue's ring buffer among it), read as that test's retained memory, and no test can
 * release it. undici 7 (Node 22 and later) deletes an origin's pool when its last connection
 * closes; this does the same for the older ones before a judging GC: a pool with no connection and
 * no request is dropped, and the next fetch to that origin makes a new one, as undici 7 would.
 */
const GLOBAL_DISPATCHER = Symbol.for('undici.globalDispatcher.1')

interface PoolStats {
  connected?: unknown
  size?: unknown
}

export function releaseIdleOriginPools(): void {
  const agent = (globalThis as Record<symbol, unknown>)[GLOBAL_DISPATCHER]
  if (typeof agent !== 'object' || agent === null) return
  const clients = Object.getOwnPropertySymbols(agent).find((s) => s.description === 'clients')
  const pools = clients && (agent as Record<symbol, unknown>)[clients]
  // A Map of another realm's making is a Map too (vm pools); undici 7 keeps its own entries, not pools.
  if (Object.prototype.toString.call(pools) !== '[object Map]') return
  for (const [origin, pool] of pools as Map<unknown, { stats?: PoolStats }>) {
    if (isIdle(pool?.stats)) (pools as Map<unknown, unknown>).delete(origin)
  }
}

function isIdle(stats: PoolStats | undefined): boolean {
  try {
    return stats?.connected === 0 && stats.size === 0
  } catch {
    return false
  }
}
