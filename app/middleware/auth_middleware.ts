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

  async handle(
    ctx: HttpContext,
    next: NextFn,
    options: { guards?: (keyof Authenticators)[] } = {}
  ) {
    const guards = options.guards ?? [ctx.auth.defaultGuard]
    if (await ctx.auth.checkUsing(guards)) return next()

    const guard = ctx.auth.use(guards.at(-1))
    if (guard instanceof TokenGuard && guard.failure) throw guard.failure
    throw new authErrors.E_UNAUTHORIZED_ACCESS('Unauthorized access', {
      guardDriverName: guard.driverName,
      redirectTo: this.redirectTo,
    })
  }
}
