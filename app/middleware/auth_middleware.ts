import type { HttpContext } from '@adonisjs/core/http'
import type { NextFn } from '@adonisjs/core/types/http'
import type { Authenticators } from '@adonisjs/auth/types'
import { TokenGuard } from '#guards/token_guard'

/**
 * Lets a request through only when one of the guards authenticates it
 * (DRF's IsAuthenticated). A token guard's failure is answered with DRF's
 * exact message for it.
 */
export default class AuthMiddleware {
  redirectTo = '/login'

  async handle(
    ctx: HttpContext,
    next: NextFn,
    options: { guards?: (keyof Authenticators)[] } = {}
  ) {
    try {
      await ctx.auth.authenticateUsing(options.guards, { loginRoute: this.redirectTo })
    } catch (error) {
      const guard = ctx.auth.use(options.guards?.at(-1))
      if (guard instanceof TokenGuard && guard.failure) throw guard.failure
      throw error
    }
    return next()
  }
}
