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

/** In tests, log lines go to stdout unless a test captures them (tests/helpers/logs.ts). */
export const testLogSink = {
  lines: null as string[] | null,
  write(line: string) {
    if (testLogSink.lines) testLogSink.lines.push(line)
    else process.stdout.write(line)
  },
}

function destination() {
  if (app.inTest) return testLogSink
  return app.inDev && prettyInstalled() ? destinations.pretty() : undefined
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
      destination: await destination(),
    },
  },
})

export default loggerConfig

declare module '@adonisjs/core/types' {
  export interface LoggersList extends InferLoggers<typeof loggerConfig> {}
}
