/*
|--------------------------------------------------------------------------
| HTTP server entrypoint
|--------------------------------------------------------------------------
|
| Boots the application and starts the HTTP server. `node ace serve`
| runs this file in development; `node bin/server.js` runs the build, alone
| or as a worker of bin/cluster.js.
|
| SIGTERM or SIGINT (in a cluster too: Ctrl-C signals the whole process
| group) drains: no new connections, idle keep-alive connections closed,
| requests already received answered with `Connection: close`, /health 503,
| sign-ins waiting for a hash slot refused with 503; then the database and
| Redis close and the process exits 0. At SHUTDOWN_TIMEOUT whatever is still
| open is cut: one error line with the count, exit 1. A second SIGINT (not a
| SIGINT after a SIGTERM) during the drain exits at once (130). See docs/operations.md.
|
*/

import type { GracefulShutdown } from '#services/graceful_shutdown'

await import('reflect-metadata')
const { Ignitor, prettyPrintError } = await import('@adonisjs/core')
const { createHttpServer } = await import('#services/server_response')

const APP_ROOT = new URL('../', import.meta.url)

const IMPORTER = (filePath: string) => {
  if (filePath.startsWith('./') || filePath.startsWith('../')) {
    return import(new URL(filePath, APP_ROOT).href)
  }
  return import(filePath)
}

let shutdown: GracefulShutdown | undefined
let stopping = false
let interrupts = 0

new Ignitor(APP_ROOT, { importer: IMPORTER })
  .tap((app) => {
    app.booting(async () => {
      await import('#start/env')
    })
    app.booted(async () => {
      const { default: gracefulShutdown } = await import('#services/graceful_shutdown')
      shutdown = gracefulShutdown
    })

    const stop = async (signal: NodeJS.Signals) => {
      // Only a second SIGINT stops at once: in a cluster, a worker may see the
      // primary's SIGTERM before the SIGINT of the same Ctrl-C.
      if (signal === 'SIGINT' && ++interrupts === 2) {
        console.error(
          `SIGINT again: stopping at once, cutting ${shutdown?.inFlight ?? 0} request(s)`
        )
        process.exit(130)
      }
      if (stopping) return
      stopping = true
      // Not serving yet: nothing to drain.
      if (!shutdown || app.getState() !== 'ready') process.exit(0)

      const timeoutMs = app.config.get<number>('gatehouse.shutdown.timeoutMs')
      const logger = await app.container.make('logger')
      logger.info(
        '%s: draining %d request(s) in progress, at most %d ms',
        signal,
        shutdown.inFlight,
        timeoutMs
      )
      setTimeout(() => {
        logger.error(
          'graceful shutdown did not finish within %d ms: cut %d request(s) in progress',
          timeoutMs,
          shutdown!.inFlight
        )
        process.exit(1)
      }, timeoutMs).unref()

      try {
        shutdown.begin()
        await shutdown.settled()
        await app.terminate()
        logger.info('drained; database and Redis closed')
      } catch (error) {
        logger.error({ err: error }, 'graceful shutdown failed')
        process.exitCode = 1
      }
      process.exit()
    }
    app.listen('SIGTERM', stop)
    app.listen('SIGINT', stop)
  })
  .httpServer()
  .start((handler) => shutdown!.serve(createHttpServer(), handler))
  .catch(async (error) => {
    await prettyPrintError(error)
    // Exit even if a connection (Redis, or a cluster's IPC channel) would keep the process up.
    process.exit(1)
  })
