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
import { serveClusterMetrics } from '#services/cluster_metrics'

const workers = Number(process.env.WEB_CONCURRENCY) || availableParallelism()
const STARTUP_TIMEOUT_MS = 30_000
const SHUTDOWN_TIMEOUT_MS = 10_000
let stopping = false

cluster.setupPrimary({ exec: new URL('../bin/server.js', import.meta.url).pathname })
// GET /metrics in any worker answers with every worker's metrics summed (docs/operations-metrics.md).
serveClusterMetrics()

/**
 * A worker that fails to boot (bad configuration) reports the error but is
 * kept alive by its IPC channel: one that is not listening in time is
 * treated as failed and the whole cluster stops, rather than retrying forever.
 */
function fork() {
  const worker = cluster.fork()
  const timer = setTimeout(() => {
    console.error(`worker ${worker.process.pid} did not start listening; stopping`)
    process.exitCode = 1
    stop()
  }, STARTUP_TIMEOUT_MS)
  worker.once('listening', () => clearTimeout(timer))
  worker.once('exit', () => clearTimeout(timer))
}

for (let i = 0; i < workers; i++) fork()

const listening = new Set<number>()
cluster.on('listening', (worker) => listening.add(worker.id))

cluster.on('exit', (worker, code, signal) => {
  if (stopping) return
  if (!listening.has(worker.id)) {
    // Died before serving: a configuration error, not a crash worth retrying.
    console.error(`worker ${worker.process.pid} failed to start (${signal ?? code}); stopping`)
    process.exitCode = 1
    stop()
    return
  }
  console.error(`worker ${worker.process.pid} exited (${signal ?? code}); starting another`)
  fork()
})

/**
 * SIGTERM lets each worker's app terminate (close the server, the database,
 * Redis); disconnect() closes the IPC channel, which would keep it alive.
 * A worker still running after SHUTDOWN_TIMEOUT_MS is killed.
 */
function stop() {
  if (stopping) return
  stopping = true
  for (const worker of Object.values(cluster.workers ?? {})) {
    worker?.process.kill('SIGTERM')
    worker?.disconnect()
  }
  setTimeout(() => {
    for (const worker of Object.values(cluster.workers ?? {})) worker?.process.kill('SIGKILL')
  }, SHUTDOWN_TIMEOUT_MS).unref()
}

process.on('SIGTERM', stop)
process.on('SIGINT', stop)
