import type { HttpContext } from '@adonisjs/core/http'
import type { NextFn } from '@adonisjs/core/types/http'

/**
 * One log line per request, written when the response is finished (so the
 * status is the one actually sent, errors included): method, path without
 * the query string, status and duration. Never headers, query or body.
 */
export default class RequestLoggerMiddleware {
  handle(ctx: HttpContext, next: NextFn) {
    const started = process.hrtime.bigint()
    const method = ctx.request.method()
    const path = ctx.request.url(false)
    ctx.response.response.once('finish', () => {
      ctx.logger.info(
        {
          method,
          path,
          status: ctx.response.response.statusCode,
          duration_ms: Number(process.hrtime.bigint() - started) / 1e6,
        },
        'http request'
      )
    })
    return next()
  }
}
