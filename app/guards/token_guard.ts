import type { HttpContext } from '@adonisjs/core/http'
import type { EmitterLike } from '@adonisjs/core/types/events'
import type { AuthClientResponse, GuardConfigProvider, GuardContract } from '@adonisjs/auth/types'
import { symbols } from '@adonisjs/auth'
import { Secret } from '@adonisjs/core/helpers'
import type User from '#models/user'
import type AccessToken from '#models/access_token'
import type { AuthenticationResult, ClientInfo } from '#services/token_authenticator'
import { parseAuthorization } from '#services/token_key'
import { TokenAuthenticationException } from '#exceptions/api_exceptions'
import { authentications } from '#services/metrics'
import { userJson } from '#transformers/user_transformer'
import { pollPhaseWithArrivals } from '#services/poll_phase'

const MESSAGES = {
  invalid: 'Invalid token.',
  expired: 'Token has expired.',
  inactive: 'User inactive or deleted.',
} as const

/** @adonisjs/auth's access-token guard events, with Gatehouse's token model. */
export type TokenGuardEvents = {
  'access_tokens_auth:authentication_attempted': { ctx: HttpContext; guardName: string }
  'access_tokens_auth:authentication_succeeded': {
    ctx: HttpContext
    guardName: string
    user: User
    token: AccessToken
  }
  'access_tokens_auth:authentication_failed': {
    ctx: HttpContext
    guardName: string
    error: TokenAuthenticationException
  }
}

/** What the guard needs: verify a key; issue one for the Japa client's loginAs(). */
export interface TokenGuardServices {
  authenticator: {
    /** Synchronous when no I/O was needed (see TokenAuthenticator#authenticate). */
    authenticate(
      key: Secret<string>,
      client?: ClientInfo,
      /** The client's connection: a key seen on it before need not be hashed again. */
      connection?: object
    ): AuthenticationResult | Promise<AuthenticationResult>
  }
  issue(user: User): Promise<Secret<string>>
  /** An expired key was presented (recorded once per token by the audit log). */
  expiredRefused?(tokenId: number, userId: number, request: HttpContext['request']): Promise<void>
}

/**
 * Whether anything listens to each of the guard's events, asked of the
 * emitter at most once per event per poll phase of the event loop in which
 * HTTP requests arrived (app/services/poll_phase.ts), like the SQLite token
 * cache's freshness check: every request read in that phase had arrived
 * before the phase began, so a listener registered before a request was
 * sent is seen by it. Asked afresh every time outside such a phase (a
 * command, a test calling a guard directly). emittery's listenerCount is
 * ~1.2k instructions per call, two calls per request (callgrind); under
 * load one poll phase reads several requests.
 */
export class GuardListeners {
  #seen: Record<keyof TokenGuardEvents, { phase: number; present: boolean }> = {
    'access_tokens_auth:authentication_attempted': { phase: -1, present: false },
    'access_tokens_auth:authentication_succeeded': { phase: -1, present: false },
    'access_tokens_auth:authentication_failed': { phase: -1, present: false },
  }

  constructor(private emitter: EmitterLike<TokenGuardEvents>) {}

  has(event: keyof TokenGuardEvents): boolean {
    const phase = pollPhaseWithArrivals()
    if (phase === undefined) return this.emitter.hasListeners(event)
    const seen = this.#seen[event]
    if (seen.phase !== phase) {
      seen.phase = phase
      seen.present = this.emitter.hasListeners(event)
    }
    return seen.present
  }
}

/**
 * DRF's TokenAuthentication as an @adonisjs/auth guard: `Token <key>` and
 * `Bearer <key>`, DRF's error messages, at most one query per request (see
 * TokenAuthenticator). Emits the access-token guard's events like
 * @adonisjs/auth's own guard, only when someone listens (an emit costs
 * time on every request; who listens is asked once per poll phase, see
 * GuardListeners). The reason of the last failure is kept in `failure` so
 * the auth middleware can answer with DRF's exact detail.
 */
export class TokenGuard implements GuardContract<User> {
  declare [symbols.GUARD_KNOWN_EVENTS]: TokenGuardEvents

  readonly driverName = 'gatehouse_tokens' as const
  authenticationAttempted = false
  isAuthenticated = false
  failure?: TokenAuthenticationException
  /** What the authenticator answered for an accepted key (its user built when first read). */
  #accepted?: Extract<AuthenticationResult, { ok: true }>
  /** The attempt's answer when it needed I/O (pending or settled). */
  #pending?: Promise<boolean>

  constructor(
    private name: string,
    private ctx: HttpContext,
    private emitter: EmitterLike<TokenGuardEvents>,
    private services: TokenGuardServices,
    private listeners = new GuardListeners(emitter)
  ) {}

  /** The authenticated user; the model is built on first read (see Verification). */
  get user(): User | undefined {
    return this.#accepted?.user
  }

  getUserOrFail(): User {
    if (!this.#accepted) throw this.failure ?? TokenAuthenticationException.notProvided()
    return this.#accepted.user
  }

  /**
   * The authenticated user's public JSON (serializeUser's), without building
   * the model when the authenticator has it already; throws as
   * getUserOrFail() does.
   */
  userJson(): string {
    const accepted = this.#accepted
    if (!accepted) throw this.failure ?? TokenAuthenticationException.notProvided()
    return accepted.userJson ? accepted.userJson() : userJson(accepted.user)
  }

  async authenticate(): Promise<User> {
    await this.attempt()
    return this.getUserOrFail()
  }

  /** Like authenticate(), without throwing: a refusal is common and costs nothing extra. */
  check(): Promise<boolean> {
    const attempt = this.attempt()
    return typeof attempt === 'boolean' ? Promise.resolve(attempt) : attempt
  }

  /**
   * Authenticates the request, once: whether it is (the user in `user`), or
   * not, with the reason in `failure` (a refusal is answered, not thrown
   * through check()). Synchronous when the authenticator answered without
   * I/O (a cached key, a malformed one): no promise per layer on the common
   * path; asked again, the same answer (the same promise while it is
   * pending). A boolean, not the user: telling a user from a promise with
   * `instanceof` asks Lucid's proxy for its prototype, a runtime call.
   */
  attempt(): boolean | Promise<boolean> {
    if (this.authenticationAttempted) return this.#pending ?? this.isAuthenticated
    this.authenticationAttempted = true
    this.#emit('access_tokens_auth:authentication_attempted', () => ({
      ctx: this.ctx,
      guardName: this.name,
    }))

    // Node's own header object (names in lower case): Request#header() lower-cases its argument.
    const parsed = parseAuthorization(this.ctx.request.request.headers.authorization)
    if (parsed.kind === 'absent') return this.#fail(TokenAuthenticationException.notProvided())
    if (parsed.kind === 'invalid') {
      authentications.invalid.inc()
      return this.#fail(TokenAuthenticationException.because(parsed.detail))
    }

    const { request } = this.ctx
    const result = this.services.authenticator.authenticate(
      new Secret(parsed.key),
      () => ({ ip: request.ip(), agent: request.header('user-agent') }),
      request.request.socket
    )
    const answer =
      result instanceof Promise ? result.then((r) => this.#settle(r)) : this.#settle(result)
    // Waiting for I/O (a lookup, or recording an expired key's refusal): later asks get this promise.
    if (typeof answer !== 'boolean') this.#pending = answer
    return answer
  }

  /** What the authenticator answered, recorded on the guard. */
  #settle(result: AuthenticationResult): boolean | Promise<boolean> {
    authentications[result.ok ? 'ok' : result.reason].inc()
    if (result.ok === false) {
      const failure = TokenAuthenticationException.because(MESSAGES[result.reason])
      if (result.reason === 'expired' && this.services.expiredRefused) {
        const recorded = this.services.expiredRefused(
          result.tokenId,
          result.userId,
          this.ctx.request
        )
        return recorded.then(() => this.#fail(failure))
      }
      return this.#fail(failure)
    }

    this.#accepted = result
    this.isAuthenticated = true
    this.#emit('access_tokens_auth:authentication_succeeded', () => ({
      ctx: this.ctx,
      guardName: this.name,
      user: result.user,
      token: result.token,
    }))
    return true
  }

  /** Used by the Japa API client's loginAs(): a fresh token for that user. */
  async authenticateAsClient(user: User): Promise<AuthClientResponse> {
    const key = await this.services.issue(user)
    return { headers: { authorization: `Token ${key.release()}` } }
  }

  #fail(error: TokenAuthenticationException): false {
    this.failure = error
    this.#emit('access_tokens_auth:authentication_failed', () => ({
      ctx: this.ctx,
      guardName: this.name,
      error,
    }))
    return false
  }

  #emit<Event extends keyof TokenGuardEvents>(event: Event, data: () => TokenGuardEvents[Event]) {
    if (this.listeners.has(event)) void this.emitter.emit(event, data())
  }
}

/** config/auth.ts entry for the guard; `services` resolved once, when the guard is first used. */
export function tokenGuard(
  services: () => Promise<TokenGuardServices>
): GuardConfigProvider<(ctx: HttpContext) => TokenGuard> {
  return {
    async resolver(name, app) {
      const emitter = (await app.container.make('emitter')) as any
      const resolved = await services()
      const listeners = new GuardListeners(emitter)
      return (ctx: HttpContext) => new TokenGuard(name, ctx, emitter, resolved, listeners)
    },
  }
}
