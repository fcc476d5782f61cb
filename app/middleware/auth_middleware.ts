import type { HttpContext } from '@adonisjs/core/http'
import type { NextFn } from '@adonisjs/core/types/http'
import type { Authenticators } from '@adonisjs/auth/types'
import { errors as authErrors } from '@adonisjs/auth'
import { TokenGuard } from '#guards/token_guard'

/**
 * Lets a request through only when one of the guards authenticates it
 * (DRF's IsAuthenticated). A token guard's failure is answered with DRF's
 * exact message for it (checkUsing, not authenticateUsing: no second
 * exception on the way).
 */
export default class AuthMiddleware {
  redirectTo = '/login'

  /** The pages a signed-in user with a temporary password may see: only to change it. */
  static mustChangeRoutes = new Set([
    'account',
    'account.password',
    'account.sessions.end',
    'logout',
  ])

  async handle(
    ctx: HttpContext,
    next: NextFn,
    options: { guards?: (keyof Authenticators)[] } = {}
  ) {
    const guards = options.guards ?? [ctx.auth.defaultGuard]
    if (await ctx.auth.checkUsing(guards)) {
      if (this.mustChangePassword(ctx)) {
        ctx.session.flash('error', 'Choose a new password to continue.')
        return ctx.response.redirect().withIntendedUrl().toPath('/account')
      }
      return next()
    }

    const guard = ctx.auth.use(guards.at(-1))
    if (guard instanceof TokenGuard && guard.failure) throw guard.failure
    throw new authErrors.E_UNAUTHORIZED_ACCESS('Unauthorized access', {
      guardDriverName: guard.driverName,
      redirectTo: this.redirectTo,
    })
  }

  /** A page request by a user whose temporary password must be changed first. */
  private mustChangePassword(ctx: HttpContext) {
    const user = ctx.auth.authenticatedViaGuard === 'web' ? ctx.auth.user : undefined
    return (
      user?.passwordMustChange === true &&
      !AuthMiddleware.mustChangeRoutes.has(ctx.route?.name ?? '')
    )
  }
}
