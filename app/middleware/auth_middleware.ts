import type { HttpContext } from '@adonisjs/core/http'
import type { NextFn } from '@adonisjs/core/types/http'
import type { Authenticators } from '@adonisjs/auth/types'
import { TokenGuard } from '#guards/token_guard'
import { PermissionDeniedException } from '#exceptions/api_exceptions'

/**
 * Lets a request through only when one of the guards authenticates it
 * (DRF's IsAuthenticated), and, for token requests, only when the token
 * holds every ability the route lists (403 otherwise).
 */
export default class AuthMiddleware {
  redirectTo = '/login'

  async handle(
    ctx: HttpContext,
    next: NextFn,
    options: { guards?: (keyof Authenticators)[]; abilities?: string[] } = {}
  ) {
    try {
      await ctx.auth.authenticateUsing(options.guards, { loginRoute: this.redirectTo })
    } catch (error) {
      const guard = ctx.auth.use(options.guards?.at(-1))
      if (guard instanceof TokenGuard && guard.failure) throw guard.failure
      throw error
    }

    const token = ctx.auth.user?.currentAccessToken
    if (token && options.abilities?.some((ability) => !token.allows(ability))) {
      throw new PermissionDeniedException()
    }
    return next()
  }
}
