// The leak both explanation benches measure: a module-level Map of sessions that only grows.
// `fillTo(mb)` grows it until the heap holds that much live; `leak(count)` is one more run of it.
const sessions = new Map()
let next = 0

function leak(count) {
  for (let i = 0; i < count; i++, next++)
    sessions.set(`session-${next}`, { id: next, user: `user-${next % 1000}`, scopes: ['read', 'write'] })
}

function fillTo(mb) {
  while (process.memoryUsage().heapUsed < mb * 1024 * 1024) leak(10_000)
}

module.exports = { leak, fillTo }
