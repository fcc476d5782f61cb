import type { HttpContext } from '@adonisjs/core/http'
import type { NextFn } from '@adonisjs/core/types/http'
import { observeRequest } from '#services/metrics'

/**
 * What every request leaves behind, taken when its response is finished (so
 * the status is the one actually sent, errors included), from one clock and
 * one listener:
 *
 * - one log line: method, path without the query string, status and
 *   duration. Never headers, query or body;
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
      const seconds = Number(process.hrtime.bigint() - started) / 1e9
      const status = res.statusCode
      observeRequest(method, ctx.route?.pattern ?? 'unmatched', status, seconds)
      ctx.logger.info({ method, path, status, duration_ms: seconds * 1e3 }, 'http request')
    })
    return next()
  }
}
