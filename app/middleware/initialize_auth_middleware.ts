import type { HttpContext } from '@adonisjs/core/http'
import type { NextFn } from '@adonisjs/core/types/http'
// Brings the package's `ctx.auth` type along with this replacement.
import type {} from '@adonisjs/auth/initialize_auth_middleware'

/**
 * @adonisjs/auth's initialize_auth_middleware without its view share: that
 * share builds an Edge renderer (a components scan on disk) for every
 * request, API included. Pages share `auth` with their views in
 * silent_auth_middleware instead.
 */
export default class InitializeAuthMiddleware {
  async handle(ctx: HttpContext, next: NextFn) {
    const manager = await ctx.containerResolver.make('auth.manager')
    ctx.auth = manager.createAuthenticator(ctx)
    return next()
  }
}
