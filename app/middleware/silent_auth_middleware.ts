import type { HttpContext } from '@adonisjs/core/http'
import type { NextFn } from '@adonisjs/core/types/http'
import type { Authenticators } from '@adonisjs/auth/types'

/**
 * Finds the signed-in user, if any, without requiring one, and shares `auth`
 * with the views: every page shows who is signed in.
 */
export default class SilentAuthMiddleware {
  async handle(
    ctx: HttpContext,
    next: NextFn,
    options: { guards?: (keyof Authenticators)[] } = {}
  ) {
    ctx.view.share({ auth: ctx.auth })
    for (const guard of options.guards ?? [ctx.auth.defaultGuard]) {
      if (await ctx.auth.use(guard).check()) break
    }
    return next()
  }
}
