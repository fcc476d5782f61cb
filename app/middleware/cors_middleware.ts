import type { HttpContext } from '@adonisjs/core/http'
import type { NextFn } from '@adonisjs/core/types/http'
import CorsMiddleware from '@adonisjs/cors/cors_middleware'

/** The container's CorsMiddleware (config/cors.ts), resolved at the first cross-origin request. */
let cors: CorsMiddleware | undefined

/**
 * @adonisjs/cors, asked only for requests that carry an `Origin` header:
 * without one a request is not a CORS request, and @adonisjs/cors passes
 * it on untouched (no header added), but as an async function returning
 * `next()`'s promise: a promise resolved with another one, two more turns
 * of the microtask queue on every request (~1k instructions, callgrind).
 * Everything CORS does for a request with an Origin is @adonisjs/cors's
 * own (tests/functional/cors.spec.ts).
 */
export default class CrossOriginMiddleware {
  handle(ctx: HttpContext, next: NextFn) {
    if (ctx.request.request.headers.origin === undefined) return next()
    return this.#cors(ctx, next)
  }

  async #cors(ctx: HttpContext, next: NextFn) {
    cors ??= await ctx.containerResolver.make(CorsMiddleware)
    return cors.handle(ctx, next)
  }
}
