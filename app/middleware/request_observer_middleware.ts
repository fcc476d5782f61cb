import { stdTimeFunctions, symbols } from 'pino'
import type { Logger } from '@adonisjs/core/logger'
import type { HttpContext } from '@adonisjs/core/http'
import type { NextFn } from '@adonisjs/core/types/http'
import { METHODS } from 'node:http'
import { observeRequest } from '#services/metrics'

const MESSAGE = 'http request'
const FIELDS = ['method', 'path', 'status', 'duration_ms'] as const

/** pino's own state on a logger, read through the symbols pino exports for it. */
type PinoInternals = Record<symbol, any>
const sym = symbols as unknown as Record<string, symbol>

/** The serializers and stringifiers last checked by fieldsArePlain(), and its answer. */
let checkedSerializers: unknown
let checkedStringifiers: unknown
let fieldsPlain = false

/**
 * Whether no serializer or redaction applies to the line's fields. pino makes
 * both tables when a logger (or a child given options) is created and never
 * changes them after, so the answer is kept for the last pair seen: every
 * request's child shares its parent's. Checking the four fields by name on
 * each request was ~0.9k instructions (megamorphic keyed loads; callgrind).
 */
function fieldsArePlain(serializers: any, stringifiers: any) {
  if (serializers !== checkedSerializers || stringifiers !== checkedStringifiers) {
    checkedSerializers = serializers
    checkedStringifiers = stringifiers
    fieldsPlain =
      !stringifiers[sym.wildcardFirstSym] &&
      FIELDS.every((field) => !serializers[field] && !stringifiers[field])
  }
  return fieldsPlain
}

/**
 * Whether pino would write the request line as plain JSON of its fields:
 * nothing configured that changes a line (a mixin, a nested key, a message
 * prefix, a stream-write hook, a serializer or redaction on one of the
 * fields, a destination that wants each line's metadata). A `log` formatter
 * may be set if it hands a line of plain values back as it is (config/
 * logger.ts's redaction does).
 */
function writesPlainLines(pino: PinoInternals, entry: Record<string, unknown>) {
  const format = pino[sym.formattersSym]?.log
  if (format && format(entry) !== entry) return false
  return (
    !pino[sym.mixinSym] &&
    !pino[sym.nestedKeySym] &&
    !pino[sym.msgPrefixSym] &&
    !pino[sym.hooksSym]?.streamWrite &&
    pino[sym.streamSym]?.[sym.needsMetadataGsym] !== true &&
    fieldsArePlain(pino[sym.serializersSym], pino[sym.stringifiersSym])
  )
}

/*
 * The line is built from as few pieces as possible: each piece of a string
 * built with `+` is a node V8 must walk again when the joined lines are
 * copied out for writing (callgrind: ~45 instructions a node), so the
 * constant text around each field is made once and joined with its
 * neighbours.
 */

/** `,"method":"<method>","path":"` for the methods Node's HTTP parser knows, built once. */
const METHOD_FIELDS: Record<string, string> = Object.create(null)
for (const method of METHODS) METHOD_FIELDS[method] = `,"method":${JSON.stringify(method)},"path":"`

/** `","status":<status>,"duration_ms":` (the path's closing quote first) for 0–599, built once. */
const STATUS_FIELDS = Array.from(
  { length: 600 },
  (_, status) => `","status":${status},"duration_ms":`
)

/**
 * The text JSON puts between the quotes of a string: `text` itself when it
 * needs no escaping (printable ASCII without `"` or `\`: every path a
 * client normally sends), checked by char code, without a call to
 * JSON.stringify.
 */
function escaped(text: string): string {
  for (let at = 0; at < text.length; at++) {
    const code = text.charCodeAt(at)
    if (code < 0x20 || code > 0x7e || code === 0x22 || code === 0x5c) {
      return JSON.stringify(text).slice(1, -1)
    }
  }
  return text
}

/** `.001` … `.999` without trailing zeros (`.5`, `.05`, `.123`), and '' for 0: index = thousandths. */
const THOUSANDTHS = Array.from({ length: 1000 }, (_, n) =>
  n === 0 ? '' : `.${String(n).padStart(3, '0').replace(/0+$/, '')}`
)

/**
 * What JavaScript prints for `ms` (pino's `${number}`), from integers when
 * `ms` is a whole number of microseconds (the observer rounds to them):
 * printing a fraction (V8's shortest round-trip digits, FastDtoa) was the
 * line's most costly part. Exact: a decimal of at most 15 significant
 * digits is what V8 prints for the double nearest to it. Anything else
 * (another fraction, NaN, ∞, negative) is printed as pino would.
 */
export function durationText(ms: number): string {
  const micros = Math.round(ms * 1000)
  if (micros >= 0 && micros < 1e15 && micros / 1000 === ms) {
    return `${Math.floor(micros / 1000)}${THOUSANDTHS[micros % 1000]}`
  }
  return Number.isFinite(ms) ? `${ms}` : 'null'
}

/**
 * pino's level and epoch time fields (`{"level":30,"time":<ms>`), the text
 * built once per millisecond instead of once per line: a number beyond
 * 2^31 is printed by V8's slow path (a runtime call).
 */
let headNow = 0
let headLevel = ''
let headText = ''
function lineHead(level: string) {
  const now = Date.now()
  if (now !== headNow || level !== headLevel) {
    headNow = now
    headLevel = level
    headText = `${level},"time":${now}`
  }
  return headText
}

/** The message and the line's end (`,"msg":"http request"}\n`), kept for the last key and end seen. */
let messageKey = ''
let lineEnd = ''
let lineTail = ''

/**
 * The request's log line: what `logger.info({ method, path, status,
 * duration_ms }, 'http request')` writes, byte for byte (pino's level
 * string, time and bindings, the request id among them, taken from pino
 * itself), built in one expression instead of through pino's generic
 * object walk, and with its constant parts made once: the method's and the
 * status's fields once per value, the level and time once per millisecond,
 * the duration from integers (callgrind: the line cost ~11k instructions,
 * ~8% of `/health/live`, before session 19; ~3.9k now, joining and writing
 * included; docs/performance.md). Anything configured that would
 * change the line goes through `logger.info` as before.
 */
export function logRequest(
  logger: Logger,
  method: string,
  path: string,
  status: number,
  durationMs: number
) {
  const pino = logger.pino as unknown as PinoInternals & Logger['pino']
  const threshold = pino[sym.levelValSym]
  const level = pino.levels?.values.info
  // Below the configured level (LOG_LEVEL=warn): no line, as pino would do.
  if (typeof threshold === 'number' && level < threshold) return
  const entry = { method, path, status, duration_ms: durationMs }
  if (typeof threshold !== 'number' || !writesPlainLines(pino, entry)) {
    logger.info(entry, MESSAGE)
    return
  }
  const time = pino[sym.timeSym]
  const key = pino[sym.messageKeySym]
  const end = pino[sym.endSym]
  if (key !== messageKey || end !== lineEnd) {
    messageKey = key
    lineEnd = end
    lineTail = `,${JSON.stringify(key)}:"${MESSAGE}"${end}`
  }
  const head = pino[sym.lsCacheSym][level]
  pino[sym.streamSym].write(
    `${time === stdTimeFunctions.epochTime ? lineHead(head) : head + time()}${pino[sym.chindingsSym]}` +
      `${METHOD_FIELDS[method] ?? `,"method":${JSON.stringify(method)},"path":"`}${escaped(path)}` +
      `${STATUS_FIELDS[status] ?? `","status":${status},"duration_ms":`}${durationText(durationMs)}${lineTail}`
  )
}

/**
 * What every request leaves behind, taken when its response is finished (so
 * the status is the one actually sent, errors included), from one clock and
 * one listener:
 *
 * - one log line: method, path without the query string, status and
 *   duration (milliseconds, to the microsecond). Never headers, query or body;
 * - gatehouse_http_request_duration_seconds, labelled by route pattern (not
 *   URL: /api/v1/tokens/:id, whatever the id); requests no route matched are
 *   "unmatched".
 */
export default class RequestObserverMiddleware {
  handle(ctx: HttpContext, next: NextFn) {
    const started = process.hrtime.bigint()
    const method = ctx.request.method()
    const path = ctx.request.url(false)
    const res = ctx.response.response
    // on(), not once(): a response finishes once, and once() wraps each listener in a bound function.
    res.on('finish', () => {
      const nanoseconds = Number(process.hrtime.bigint() - started)
      const status = res.statusCode
      observeRequest(method, ctx.route?.pattern ?? 'unmatched', status, nanoseconds / 1e9)
      // Logged to the microsecond (durationText prints that from integers).
      logRequest(ctx.logger, method, path, status, Math.round(nanoseconds / 1e3) / 1e3)
    })
    return next()
  }
}
