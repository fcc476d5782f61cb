import type { HttpContext } from '@adonisjs/core/http'
import type { AuthClientResponse, GuardConfigProvider, GuardContract } from '@adonisjs/auth/types'
import { symbols } from '@adonisjs/auth'
import type User from '#models/user'
import tokenService from '#services/token_service'
import audit from '#services/audit_service'
import { parseAuthorization } from '#services/token_key'
import { TokenAuthenticationException } from '#exceptions/api_exceptions'
import { authentications } from '#services/metrics'

const MESSAGES = {
  invalid: 'Invalid token.',
  expired: 'Token has expired.',
  inactive: 'User inactive or deleted.',
} as const

/**
 * DRF's TokenAuthentication as an @adonisjs/auth guard: `Token <key>` and
 * `Bearer <key>`, DRF's error messages, one query per request (see
 * TokenService.authenticate). The reason of the last failure is kept in
 * `failure` so the auth middleware can answer with DRF's exact detail.
 */
export class TokenGuard implements GuardContract<User> {
  declare [symbols.GUARD_KNOWN_EVENTS]: {}

  readonly driverName = 'gatehouse_tokens' as const
  authenticationAttempted = false
  isAuthenticated = false
  user?: User
  failure?: TokenAuthenticationException

  constructor(private ctx: HttpContext) {}

  getUserOrFail(): User {
    if (!this.user) throw this.failure ?? TokenAuthenticationException.notProvided()
    return this.user
  }

  async authenticate(): Promise<User> {
    if (this.authenticationAttempted) return this.getUserOrFail()
    this.authenticationAttempted = true

    const parsed = parseAuthorization(this.ctx.request.header('authorization'))
    if (parsed.kind === 'absent') throw this.fail(TokenAuthenticationException.notProvided())
    if (parsed.kind === 'invalid') {
      authentications.invalid.inc()
      throw this.fail(TokenAuthenticationException.because(parsed.detail))
    }

    const result = await tokenService.authenticate(parsed.key)
    authentications[result.ok ? 'ok' : result.reason].inc()
    // An expired key: recorded once per token (AuditService.expiredRefused), not per retry.
    if (!result.ok && result.tokenId)
      await audit.expiredRefused(result.tokenId, result.userId!, this.ctx.request)
    if (!result.ok) throw this.fail(TokenAuthenticationException.because(MESSAGES[result.reason]))

    this.user = result.user
    this.isAuthenticated = true
    return this.user
  }

  async check(): Promise<boolean> {
    try {
      await this.authenticate()
      return true
    } catch (error) {
      if (error instanceof TokenAuthenticationException) return false
      throw error
    }
  }

  /** Used by the Japa API client's loginAs(): a fresh token for that user. */
  async authenticateAsClient(user: User): Promise<AuthClientResponse> {
    const { value } = await tokenService.create(user, { name: 'test-client' })
    return { headers: { authorization: `Token ${value}` } }
  }

  private fail(error: TokenAuthenticationException) {
    this.failure = error
    return error
  }
}

/** config/auth.ts entry for the guard. */
export function tokenGuard(): GuardConfigProvider<(ctx: HttpContext) => TokenGuard> {
  return {
    async resolver() {
      return (ctx: HttpContext) => new TokenGuard(ctx)
    },
  }
}
