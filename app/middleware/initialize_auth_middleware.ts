import type { HttpContext } from '@adonisjs/core/http'
import type { NextFn } from '@adonisjs/core/types/http'
import type { AuthManager } from '@adonisjs/auth'
import type { Authenticators } from '@adonisjs/auth/types'
// Brings the package's `ctx.auth` type along with this replacement.
import type {} from '@adonisjs/auth/initialize_auth_middleware'

/** The container's auth manager, a singleton: resolved once, not on every request. */
let manager: AuthManager<Authenticators> | undefined

/**
 * @adonisjs/auth's initialize_auth_middleware without its view share: that
 * share builds an Edge renderer (a components scan on disk) for every
 * request, API included. Pages share `auth` with their views in
 * silent_auth_middleware instead.
 */
export default class InitializeAuthMiddleware {
  async handle(ctx: HttpContext, next: NextFn) {
    const auth = (manager ??= await ctx.containerResolver.make('auth.manager'))
    ctx.auth = auth.createAuthenticator(ctx)
    return next()
  }
}
