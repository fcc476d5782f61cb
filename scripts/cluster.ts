/*
|--------------------------------------------------------------------------
| Production start, one worker per core (npm run start:cluster, in build/)
|--------------------------------------------------------------------------
|
| The primary forks WEB_CONCURRENCY workers (default: every core), each
| running bin/server.js and sharing the listening port through node:cluster.
| Workers share nothing but the database and Redis: set TOKEN_CACHE=redis
| (or REDIS_HOST) so a revocation in one worker reaches every other.
| A worker that dies after it started serving is replaced; SIGTERM and
| SIGINT stop them all gracefully.
|
*/

import cluster from 'node:cluster'
import { availableParallelism } from 'node:os'

const workers = Number(process.env.WEB_CONCURRENCY) || availableParallelism()
let stopping = false

cluster.setupPrimary({ exec: new URL('../bin/server.js', import.meta.url).pathname })

for (let i = 0; i < workers; i++) cluster.fork()

const listening = new Set<number>()
cluster.on('listening', (worker) => listening.add(worker.id))

cluster.on('exit', (worker, code, signal) => {
  if (stopping) return
  if (!listening.has(worker.id)) {
    // Died before serving: a configuration error, not a crash worth retrying.
    console.error(`worker ${worker.process.pid} failed to start (${signal ?? code}); stopping`)
    process.exitCode = 1
    return stop()
  }
  console.error(`worker ${worker.process.pid} exited (${signal ?? code}); starting another`)
  cluster.fork()
})

function stop() {
  stopping = true
  for (const worker of Object.values(cluster.workers ?? {})) worker?.process.kill('SIGTERM')
}

process.on('SIGTERM', stop)
process.on('SIGINT', stop)
