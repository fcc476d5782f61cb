import type { HttpContext } from '@adonisjs/core/http'
import type { NextFn } from '@adonisjs/core/types/http'
import type { Authenticators } from '@adonisjs/auth/types'
import { errors as authErrors } from '@adonisjs/auth'
import { TokenGuard } from '#guards/token_guard'

/** Where a page request without a signed-in user is sent. */
const SIGN_IN_PATH = '/login'

/**
 * Undefined when one of the guards authenticates the request (DRF's
 * IsAuthenticated); otherwise the refusal to answer with: for a token guard,
 * DRF's exact message for its failure (checkUsing, not authenticateUsing: no
 * exception thrown and caught on the way).
 */
export async function refusalFor(ctx: HttpContext, guards: (keyof Authenticators)[]) {
  if (await ctx.auth.checkUsing(guards)) return undefined
  return refusalAfterCheck(ctx, guards)
}

/** The refusal for a request that `ctx.auth.checkUsing(guards)` did not authenticate. */
export function refusalAfterCheck(ctx: HttpContext, guards: (keyof Authenticators)[]) {
  const guard = ctx.auth.use(guards.at(-1))
  if (guard instanceof TokenGuard && guard.failure) return guard.failure
  return new authErrors.E_UNAUTHORIZED_ACCESS('Unauthorized access', {
    guardDriverName: guard.driverName,
    redirectTo: SIGN_IN_PATH,
  })
}

/** Passes when one of the guards authenticates the request; throws the refusal otherwise. */
export async function authenticateOrFail(ctx: HttpContext, guards: (keyof Authenticators)[]) {
  const refusal = await refusalFor(ctx, guards)
  if (refusal) throw refusal
}

/**
 * Lets a request through only when one of the guards authenticates it; a
 * page user whose temporary password must be changed sees only the account
 * page until they do.
 */
export default class AuthMiddleware {
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
    await authenticateOrFail(ctx, options.guards ?? [ctx.auth.defaultGuard])
    if (this.mustChangePassword(ctx)) {
      ctx.session.flash('error', 'Choose a new password to continue.')
      return ctx.response.redirect().withIntendedUrl().toPath('/account')
    }
    return next()
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
