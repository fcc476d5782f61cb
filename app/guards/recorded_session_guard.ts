import type { HttpContext } from '@adonisjs/core/http'
import type { ApplicationService } from '@adonisjs/core/types'
import { errors as authErrors } from '@adonisjs/auth'
import { SessionGuard } from '@adonisjs/auth/session'
import type User from '#models/user'
import type { ActiveSessionUserProvider } from '#guards/active_session_user_provider'
import userSessionService from '#services/user_session_service'

/** Session data key of the id whose hash is a user_sessions row. */
export const SESSION_RECORD_KEY = 'auth_web_session'

type GuardArgs = ConstructorParameters<typeof SessionGuard<false, ActiveSessionUserProvider>>

/**
 * AdonisJS's session guard, plus a server-side record per signed-in browser
 * (UserSessionService): a session counts only while its record exists and
 * its user is active, so sign-out, "sign out of every browser", a password
 * change or a deactivation ends it for every copy of the cookie, whatever
 * the session store. One query per page request (record joined with user).
 */
export class RecordedSessionGuard extends SessionGuard<false, ActiveSessionUserProvider> {
  #ctx: HttpContext

  constructor(...args: GuardArgs) {
    super(...args)
    this.#ctx = args[1]
  }

  /** The raw id of this browser's session record (to keep it when ending the others). */
  get recordId(): string | null {
    const id = this.#ctx.session.get(SESSION_RECORD_KEY)
    return typeof id === 'string' ? id : null
  }

  async login(user: User) {
    const previous = this.recordId
    if (previous) await userSessionService.end(previous)
    await super.login(user)
    const id = await userSessionService.start(user, {
      ip: this.#ctx.request.ip(),
      userAgent: this.#ctx.request.header('user-agent'),
    })
    this.#ctx.session.put(SESSION_RECORD_KEY, id)
  }

  async logout() {
    const id = this.recordId
    if (id) await userSessionService.end(id)
    this.#ctx.session.forget(SESSION_RECORD_KEY)
    await super.logout()
  }

  async authenticate(): Promise<User> {
    if (this.authenticationAttempted) return this.getUserOrFail()
    this.authenticationAttempted = true

    const session = this.#ctx.session
    const userId = session.get(this.sessionKeyName)
    const recordId = this.recordId
    const user =
      userId !== undefined && userId !== null && recordId
        ? await userSessionService.resume(recordId, Number(userId))
        : null

    if (!user) {
      // A session whose record is gone (signed out elsewhere) is emptied for good.
      if (userId !== undefined || recordId) {
        session.forget(this.sessionKeyName)
        session.forget(SESSION_RECORD_KEY)
      }
      this.isAuthenticated = false
      this.user = undefined
      throw new authErrors.E_UNAUTHORIZED_ACCESS('Invalid or expired user session', {
        guardDriverName: this.driverName,
      })
    }
    this.isAuthenticated = true
    this.user = user
    return user
  }

  /** Tests' `loginAs()`: a session with its record, as a real sign-in makes. */
  async authenticateAsClient(user: User) {
    const { session } = await super.authenticateAsClient(user)
    // A user deleted before the request is sent gets no record: refused, as it would be anyway.
    const id = await userSessionService.start(user, { userAgent: 'test client' }).catch(() => null)
    return { session: id ? { ...session, [SESSION_RECORD_KEY]: id } : session }
  }
}

/** config/auth.ts: the `web` guard. */
export function recordedSessionGuard(config: { provider: ActiveSessionUserProvider }) {
  return {
    async resolver(name: string, app: ApplicationService) {
      const emitter = await app.container.make('emitter')
      return (ctx: HttpContext) =>
        new RecordedSessionGuard(
          name,
          ctx,
          { useRememberMeTokens: false },
          emitter as any,
          config.provider
        )
    },
  }
}
