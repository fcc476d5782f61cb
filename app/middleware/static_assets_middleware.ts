import type { HttpContext } from '@adonisjs/core/http'
import type { NextFn } from '@adonisjs/core/types/http'
import StaticMiddleware from '@adonisjs/static/static_middleware'

/** A path whose last segment has an extension: what public/ can hold. */
const LOOKS_LIKE_FILE = /\/[^/]+\.[A-Za-z0-9]+$/

/** The container's StaticMiddleware (a singleton), resolved at the first file request. */
let assets: StaticMiddleware | undefined

/**
 * @adonisjs/static for files in public/ (app.css, favicon.svg), asked only
 * for paths that look like a file. Routes (the API above all) never pay for
 * the file-system lookup it makes on every request it sees, nor for the
 * container resolving it (no constructor injection: this class is built
 * for every request).
 */
export default class StaticAssetsMiddleware {
  /**
   * Not `async`: an async function that returns `next()`'s promise resolves
   * its own promise with another one, two more turns of the microtask queue
   * and a `then` on every request that is not a file.
   */
  handle(ctx: HttpContext, next: NextFn) {
    const path = ctx.request.url()
    if (path.startsWith('/api') || !LOOKS_LIKE_FILE.test(path)) return next()
    return this.#serve(ctx, next)
  }

  async #serve(ctx: HttpContext, next: NextFn) {
    assets ??= await ctx.containerResolver.make(StaticMiddleware)
    return assets.handle(ctx, next)
  }
}
