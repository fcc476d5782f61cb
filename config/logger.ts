/*
|--------------------------------------------------------------------------
| Logger
|--------------------------------------------------------------------------
|
| Pino, pretty in development, JSON in production. The redact paths keep
| credentials out of the logs even if a request or body is ever logged.
|
*/

import env from '#start/env'
import app from '@adonisjs/core/services/app'
import { defineConfig, destinations } from '@adonisjs/core/logger'

/** pino-pretty is an optional package: without it, development logs are JSON too. */
function prettyInstalled() {
  try {
    import.meta.resolve('pino-pretty')
    return true
  } catch {
    return false
  }
}

const loggerConfig = defineConfig({
  default: 'app',
  loggers: {
    app: {
      enabled: true,
      name: 'gatehouse',
      level: env.get('LOG_LEVEL', 'info'),
      redact: {
        paths: [
          'password',
          '*.password',
          'token',
          '*.token',
          'key',
          'headers.authorization',
          'headers.cookie',
          '*.headers.authorization',
          '*.headers.cookie',
          'req.headers.authorization',
          'req.headers.cookie',
          // the body parser attaches the raw body to its parse errors
          'err.body',
        ],
        censor: '[redacted]',
      },
      destination: app.inDev && prettyInstalled() ? await destinations.pretty() : undefined,
    },
  },
})

export default loggerConfig

declare module '@adonisjs/core/types' {
  export interface LoggersList extends InferLoggers<typeof loggerConfig> {}
}
