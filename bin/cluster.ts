/*
|--------------------------------------------------------------------------
| Production start, one worker per core: `npm run start:cluster` in build/
|--------------------------------------------------------------------------
|
| The primary validates the environment, then forks WEB_CONCURRENCY workers
| (default: every core), each running bin/server.js and sharing the port
| through node:cluster. Workers share nothing but the database (whose
| triggers tell every worker's token cache about revocations) and Redis:
| set LIMITER_STORE=redis (or database) so the login throttle is shared.
|
| - A worker that dies is replaced after a backoff (100 ms, doubling up to
|   10 s; back to 100 ms once workers stay up). When workers keep dying
|   before they listen (3 in a row), the primary stops with exit code 1.
| - SIGTERM or SIGINT: SIGTERM to every worker, once (each drains, see
|   bin/server.ts); no restarts from then on; workers still running
|   SHUTDOWN_TIMEOUT + 1 s later are killed; the primary exits after the
|   last worker, 0 when all of them drained in time. A second SIGINT kills
|   the workers and exits at once.
| PM2 or systemd can run `node bin/server.js` instead: docs/operations.md.
|
*/

import cluster, { type Worker } from 'node:cluster'
import { availableParallelism } from 'node:os'
import { fileURLToPath } from 'node:url'
import { serveClusterMetrics } from '#services/cluster_metrics'

// The same validation as the workers': a bad setting stops here, once, with its message.
const { default: env } = await import('#start/env')

const WORKERS = Math.max(1, env.get('WEB_CONCURRENCY') ?? availableParallelism())
const SHUTDOWN_TIMEOUT_MS = env.get('SHUTDOWN_TIMEOUT')
const KILL_MARGIN_MS = 1000
const STARTUP_TIMEOUT_MS = 30_000
const GIVE_UP_AFTER = 3
const BACKOFF_FIRST_MS = 100
const BACKOFF_MAX_MS = 10_000
const STABLE_AFTER_MS = 30_000

interface WorkerState {
  listeningAt?: number
  startTimer: NodeJS.Timeout
}

const workers = new Map<Worker, WorkerState>()
const restarts = new Set<NodeJS.Timeout>()
let stopping = false
let interrupts = 0
let everyoneListening = false
let failuresInARow = 0
let startFailuresInARow = 0
let killTimer: NodeJS.Timeout | undefined

const log = (message: string) => console.error(`cluster: ${message}`)
const serverFile = import.meta.url.endsWith('.ts') ? './server.ts' : './server.js'
cluster.setupPrimary({ exec: fileURLToPath(new URL(serverFile, import.meta.url)) })
// GET /metrics in any worker answers with every worker's metrics summed (docs/operations-metrics.md).
serveClusterMetrics()

function fork() {
  const worker = cluster.fork()
  const startTimer = setTimeout(() => {
    log(`worker ${worker.process.pid} did not listen within ${STARTUP_TIMEOUT_MS} ms; killing it`)
    worker.process.kill('SIGKILL')
  }, STARTUP_TIMEOUT_MS)
  workers.set(worker, { startTimer })
}

cluster.on('listening', (worker, address) => {
  const state = workers.get(worker)
  if (!state) return
  clearTimeout(state.startTimer)
  state.listeningAt = Date.now()
  startFailuresInARow = 0
  if (everyoneListening) {
    log(`worker ${worker.process.pid} listening (a replacement)`)
    return
  }
  const listening = [...workers.values()].filter((one) => one.listeningAt).length
  if (listening === WORKERS) {
    everyoneListening = true
    log(`${WORKERS} workers listening on ${address.address}:${address.port}`)
  }
})

cluster.on('exit', (worker, code, signal) => {
  const state = workers.get(worker)
  workers.delete(worker)
  if (state) clearTimeout(state.startTimer)
  const how = signal ?? `code ${code}`

  if (stopping) {
    if (code !== 0) process.exitCode = 1
    if (workers.size === 0) {
      clearTimeout(killTimer)
      log('every worker has stopped')
      process.exit()
    }
    return
  }

  if (!state?.listeningAt) {
    startFailuresInARow++
    if (startFailuresInARow >= GIVE_UP_AFTER) {
      log(
        `workers keep dying before they listen (${startFailuresInARow} in a row, last: ${how}); ` +
          'giving up. The workers printed the reason above.'
      )
      process.exitCode = 1
      stop('giving up')
      return
    }
  }
  if (state?.listeningAt && Date.now() - state.listeningAt > STABLE_AFTER_MS) failuresInARow = 0
  const delay = Math.min(BACKOFF_FIRST_MS * 2 ** failuresInARow, BACKOFF_MAX_MS)
  failuresInARow++
  log(`worker ${worker.process.pid} exited (${how}); starting another in ${delay} ms`)
  const timer = setTimeout(() => {
    restarts.delete(timer)
    fork()
  }, delay)
  restarts.add(timer)
})

function stop(signal: string) {
  if (signal === 'SIGINT' && ++interrupts === 2) {
    log(`SIGINT again: killing ${workers.size} worker(s)`)
    for (const worker of workers.keys()) worker.process.kill('SIGKILL')
    process.exit(130)
  }
  if (stopping) return
  stopping = true
  for (const timer of restarts) clearTimeout(timer)
  restarts.clear()
  if (workers.size === 0) process.exit()

  log(`${signal}: stopping ${workers.size} worker(s), at most ${SHUTDOWN_TIMEOUT_MS} ms`)
  // SIGTERM, not the signal received: after a Ctrl-C (already delivered to the
  // whole process group), a forwarded SIGINT would be a worker's second one.
  for (const worker of workers.keys()) worker.process.kill('SIGTERM')
  killTimer = setTimeout(() => {
    log(`killing ${workers.size} worker(s) still running after ${SHUTDOWN_TIMEOUT_MS} ms`)
    for (const worker of workers.keys()) worker.process.kill('SIGKILL')
    process.exitCode = 1
  }, SHUTDOWN_TIMEOUT_MS + KILL_MARGIN_MS)
}

process.on('SIGTERM', stop)
process.on('SIGINT', stop)

for (let i = 0; i < WORKERS; i++) fork()
