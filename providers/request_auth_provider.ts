import type { ApplicationService } from '@adonisjs/core/types'
import { HttpContext } from '@adonisjs/core/http'
// Brings @adonisjs/auth's `ctx.auth` type along (its middleware is not used).
import type {} from '@adonisjs/auth/initialize_auth_middleware'
import type { Authenticators } from '@adonisjs/auth/types'
import { RequestAuthenticator } from '#guards/request_authenticator'

/** Where a request keeps its Authenticator once built. */
const AUTHENTICATOR = Symbol('authenticator')

/**
 * `ctx.auth`, built on first use. @adonisjs/auth's initialize_auth
 * middleware builds it on every request, as one more middleware layer (the
 * container resolves each layer per request); a getter on HttpContext
 * costs nothing for requests that never ask (health checks, static files,
 * 404s) and is the same Authenticator for every read of one request.
 * Kept under a symbol on the request's context rather than through
 * Macroable's singleton getter, which makes the first read an
 * `Object.defineProperty` on the context (a descriptor built and checked by
 * the runtime on every authenticated request; a plain store here).
 * A RequestAuthenticator (app/guards/request_authenticator.ts): the
 * framework's Authenticator that the `api` middleware can tell at once that
 * a guard accepted the request.
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
      function (this: HttpContext & { [AUTHENTICATOR]?: RequestAuthenticator<Authenticators> }) {
        return (this[AUTHENTICATOR] ??= new RequestAuthenticator(this, manager.config))
      }
    )
  }
}
