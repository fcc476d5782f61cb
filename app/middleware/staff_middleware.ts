import type { HttpContext } from '@adonisjs/core/http'
import type { NextFn } from '@adonisjs/core/types/http'
import { errors } from '@adonisjs/core/http'

/**
 * The staff console exists only for active staff signed in on the pages
 * (after silentAuth). Anyone else, guests included, gets the very 404 an
 * unknown address gets, rendered the same way: the console is not advertised.
 */
export default class StaffMiddleware {
  async handle(ctx: HttpContext, next: NextFn) {
    const user = ctx.auth.use('web').user
    if (!user?.isStaff) {
      // An unknown address renders with no session state; so does this refusal.
      ctx.view.share({ auth: null, flashMessages: null })
      throw new errors.E_ROUTE_NOT_FOUND([ctx.request.method(), ctx.request.url()])
    }
    return next()
  }
}
