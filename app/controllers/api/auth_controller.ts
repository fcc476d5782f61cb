import type { HttpContext } from '@adonisjs/core/http'
import authService from '#services/auth_service'
import loginThrottle from '#services/login_throttle'
import tokenService from '#services/token_service'
import audit, { aboutToken, byUser } from '#services/audit_service'
import { loginValidator } from '#validators/auth'
import { serializeToken } from '#transformers/token_transformer'
import { serializeUser } from '#transformers/user_transformer'
import { revocations } from '#services/metrics'
import { MUST_CHANGE_PASSWORD } from '#services/user_service'

/** Versioned sign-in/out: get-or-create of a named token, revocation. */
export default class AuthController {
  async login({ request, response }: HttpContext) {
    const { username, password, name } = await request.validateUsing(loginValidator)

    const user = await loginThrottle.attempt(
      username,
      password,
      request.ip(),
      request.header('user-agent')
    )
    if (!user) {
      return response.badRequest({ detail: 'Unable to log in with provided credentials.' })
    }
    if (user.passwordMustChange) return response.forbidden({ detail: MUST_CHANGE_PASSWORD })

    const issued = await tokenService.getOrCreate(user, { name })
    await audit.record({
      event: 'token.obtained',
      ...byUser(user, request),
      ...aboutToken(issued.token, { created: issued.created }),
    })
    await authService.recordLogin(user)
    response.header('Cache-Control', 'no-store')
    return { token: serializeToken(issued.token, issued.value), user: serializeUser(user) }
  }

  async logout({ auth, request, response }: HttpContext) {
    const user = auth.getUserOrFail()
    if (await tokenService.revoke(user, user.currentAccessToken!.id)) revocations.api.inc()
    await audit.record({
      event: 'token.revoked',
      ...byUser(user, request),
      ...aboutToken(user.currentAccessToken!, { via: 'logout' }),
    })
    return response.noContent()
  }

  /** Revokes other tokens too: the route needs tokens:write (see start/routes.ts). */
  async logoutAll({ auth, request, response }: HttpContext) {
    const count = await tokenService.revokeAll(auth.getUserOrFail())
    revocations.api.inc(count)
    await audit.record({
      event: 'token.revoked',
      ...byUser(auth.getUserOrFail(), request),
      data: { all: true, count },
    })
    return response.noContent()
  }
}
