import { inject } from '@adonisjs/core'
import type { HttpContext } from '@adonisjs/core/http'
import type { NextFn } from '@adonisjs/core/types/http'
import StaticMiddleware from '@adonisjs/static/static_middleware'

/**
 * @adonisjs/static for files in public/ (app.css, favicon.svg), asked only
 * for paths that look like a file. Routes (the API above all) never pay for
 * the file-system lookup it makes on every request it sees.
 */
@inject()
export default class StaticAssetsMiddleware {
  constructor(private assets: StaticMiddleware) {}

  handle(ctx: HttpContext, next: NextFn) {
    const path = ctx.request.url()
    if (path.startsWith('/api') || !/\/[^/]+\.[A-Za-z0-9]+$/.test(path)) return next()
    return this.assets.handle(ctx, next)
  }
}
