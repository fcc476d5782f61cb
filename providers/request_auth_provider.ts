import type { ApplicationService } from '@adonisjs/core/types'
import { HttpContext } from '@adonisjs/core/http'
// Brings @adonisjs/auth's `ctx.auth` type along (its middleware is not used).
import type {} from '@adonisjs/auth/initialize_auth_middleware'

/**
 * `ctx.auth`, built on first use. @adonisjs/auth's initialize_auth
 * middleware builds it on every request, as one more middleware layer (the
 * container resolves each layer per request); a singleton getter on
 * HttpContext costs nothing for requests that never ask (health checks,
 * static files, 404s) and is the same Authenticator for those that do.
 * The middleware's view share is left out on purpose: it builds an Edge
 * renderer for every request, API included; pages share `auth` with their
 * views in silent_auth_middleware.
 */
export default class RequestAuthProvider {
  constructor(protected app: ApplicationService) {}

  async boot() {
    const manager = await this.app.container.make('auth.manager')
    HttpContext.getter(
      'auth',
      function (this: HttpContext) {
        return manager.createAuthenticator(this)
      },
      true
    )
  }
}
