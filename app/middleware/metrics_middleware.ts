import type { HttpContext } from '@adonisjs/core/http'
import type { NextFn } from '@adonisjs/core/types/http'
import { observeRequest } from '#services/metrics'

/**
 * Times every request to the end of its response, labelled by route pattern
 * (not URL: /api/v1/tokens/:id, whatever the id), for
 * gatehouse_http_request_duration_seconds. Requests no route matched are "unmatched".
 */
export default class MetricsMiddleware {
  handle(ctx: HttpContext, next: NextFn) {
    const started = process.hrtime.bigint()
    ctx.response.response.once('finish', () => {
      observeRequest(
        ctx.request.method(),
        ctx.route?.pattern ?? 'unmatched',
        ctx.response.response.statusCode,
        Number(process.hrtime.bigint() - started) / 1e9
      )
    })
    return next()
  }
}
