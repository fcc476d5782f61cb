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
import { defineConfig, destination as pinoDestination, destinations } from '@adonisjs/core/logger'

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

/** What is joined before it is handed to sonic-boom (characters; its minLength is in bytes). */
const CHUNK = 4096

type ByteStream = ReturnType<typeof pinoDestination>

/**
 * A sonic-boom stream in buffer mode that takes pino's strings: lines are
 * joined as one string and handed over ~4 KiB at a time (one UTF-8 encoding
 * and one Buffer per chunk instead of one per line: ~1.5% of a /health/live
 * request's CPU, perf, session 20). Every write, flush and end goes through
 * what is pending first, so the order of lines is kept; sonic-boom's
 * periodic flush calls `flush`, so a quiet server's lines still show within
 * 100 ms.
 */
export function joiningLines(stream: ByteStream): ByteStream {
  const writeBytes = stream.write as (data: string | Buffer) => boolean
  const flushBytes = stream.flush.bind(stream)
  const flushBytesSync = stream.flushSync.bind(stream)
  const endBytes = stream.end.bind(stream)
  let pending = ''
  const handOver = () => {
    if (pending === '') return
    const chunk = pending
    pending = ''
    writeBytes.call(stream, Buffer.from(chunk))
  }
  stream.write = (line: string | Buffer) => {
    if (typeof line !== 'string') {
      handOver()
      return writeBytes.call(stream, line)
    }
    pending += line
    if (pending.length >= CHUNK) handOver()
    return true
  }
  stream.flush = (cb?: (error?: Error) => void) => {
    handOver()
    return flushBytes(cb)
  }
  stream.flushSync = () => {
    handOver()
    flushBytesSync()
  }
  stream.end = () => {
    handOver()
    endBytes()
  }
  return stream
}

/**
 * Where production lines go: stdout through pino's own sonic-boom stream,
 * synchronous as pino's default destination is, with two of its options:
 *
 * - lines are written 4 KiB at a time (`minLength`), and at least every
 *   100 ms (`periodicFlush`) so a quiet server's lines still show at once;
 * - lines are kept as bytes (`contentMode: 'buffer'`): in its default
 *   string mode sonic-boom measures the whole pending chunk again
 *   (`Buffer.byteLength` of a string it has just appended to) for every line;
 *   joiningLines() below hands it one Buffer per ~4 KiB of lines.
 *
 * Each 4 KiB is one `write(2)` from the event loop's thread (~1 per 16
 * requests). Until session 19 it went through libuv's thread pool
 * (`sync: false`): a thread woken and a callback back for every chunk,
 * which on these VMs cost more than the write itself (/health/live 3–10%
 * faster synchronous, interleaved series over two processes of each;
 * docs/performance.md). As with pino's default, a log reader that stops
 * reading (a full pipe) makes the writes wait; a file, a terminal or a
 * container runtime's pipe does not. What is pending is written at exit
 * (flushSync in an exit hook of our own: pino registers one only for an
 * asynchronous stream), so only a kill -9 or a crash of the runtime itself
 * can lose lines: at most the last 100 ms.
 */
function stdoutDestination() {
  const stream = joiningLines(
    pinoDestination({
      dest: 1,
      sync: true,
      contentMode: 'buffer',
      minLength: CHUNK,
      periodicFlush: 100,
    })
  )
  // pino flushes at exit only the streams it made asynchronous; this one holds up to 4 KiB too.
  // At exit there is nowhere left to report a failed write (stdout closed): the exit goes on.
  process.once('exit', () => {
    try {
      stream.flushSync()
    } catch {}
  })
  return stream
}

function destination() {
  if (app.inTest) return testLogSink
  return app.inDev && prettyInstalled() ? destinations.pretty() : stdoutDestination()
}

const CENSOR = '[redacted]'

/**
 * pino's `*.password`, `*.token`, `*.headers.authorization` and
 * `*.headers.cookie`, without pino's wildcard redaction: that runs a
 * clone and a JSON.stringify for every property of every line (~10 µs per
 * line measured, the request log line included, against ~0 for exact paths).
 * Here a line whose properties are all plain values (the request log's) is
 * passed through as it is; an object property holding one of those keys
 * is copied with the value replaced (the caller's object is left alone).
 */
function redactOneLevelDown(entry: Record<string, unknown>) {
  let out = entry
  for (const name in entry) {
    const value = entry[name] as Record<string, any> | null
    if (value === null || typeof value !== 'object' || Array.isArray(value)) continue
    const headers = value.headers
    const hasHeaders =
      headers !== null &&
      typeof headers === 'object' &&
      (headers.authorization !== undefined || headers.cookie !== undefined)
    if (value.password === undefined && value.token === undefined && !hasHeaders) continue
    // An error keeps its class, message and stack for pino's err serializer.
    const copy: Record<string, any> =
      value instanceof Error
        ? Object.assign(Object.create(Object.getPrototypeOf(value)), value, {
            message: value.message,
            stack: value.stack,
          })
        : { ...value }
    if (copy.password !== undefined) copy.password = CENSOR
    if (copy.token !== undefined) copy.token = CENSOR
    if (hasHeaders) {
      copy.headers = { ...headers }
      if (headers.authorization !== undefined) copy.headers.authorization = CENSOR
      if (headers.cookie !== undefined) copy.headers.cookie = CENSOR
    }
    if (out === entry) out = { ...entry }
    out[name] = copy
  }
  return out
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
          'token',
          'key',
          'headers.authorization',
          'headers.cookie',
          'req.headers.authorization',
          'req.headers.cookie',
          // the body parser attaches the raw body to its parse errors
          'err.body',
        ],
        censor: CENSOR,
      },
      // `*.password`, `*.token`, `*.headers.authorization`, `*.headers.cookie`
      formatters: { log: redactOneLevelDown },
      destination: await destination(),
    },
  },
})

export default loggerConfig

declare module '@adonisjs/core/types' {
  export interface LoggersList extends InferLoggers<typeof loggerConfig> {}
}
