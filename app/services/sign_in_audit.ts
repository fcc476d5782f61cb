import User from '#models/user'
import audit from '#services/audit_service'

/** Most throttled callers remembered per process before the memory starts over. */
const THROTTLE_MEMO_SIZE = 10_000

export interface SignInContext {
  ip: string
  userAgent?: string | null
}

/**
 * Sign-in events of the audit trail: succeeded, failed (only when the account
 * exists: a stream of guesses at unknown names writes nothing) and throttled
 * (once per blocked caller and block, so a flood writes one row, not one per
 * refused request).
 */
export class SignInAudit {
  private throttledUntil = new Map<string, number>()

  succeeded(user: User, { ip, userAgent }: SignInContext) {
    return audit.record({
      event: 'sign_in.succeeded',
      actor: { type: 'user', id: user.id },
      userId: user.id,
      ip,
      userAgent,
    })
  }

  async failed(uid: string, { ip, userAgent }: SignInContext) {
    const user = await this.findByUid(uid)
    if (!user) return
    await audit.record({
      event: 'sign_in.failed',
      actor: { type: 'user', id: user.id },
      userId: user.id,
      ip,
      userAgent,
      data: { reason: user.isActive ? 'bad_credentials' : 'inactive' },
    })
  }

  /** scope "ip": every attempt from one address; "user": failures for one username from one address. */
  async throttled(
    scope: 'ip' | 'user',
    limiterKey: string,
    retryAfterSeconds: number,
    uid: string | null,
    { ip, userAgent }: SignInContext
  ) {
    const now = Date.now()
    if ((this.throttledUntil.get(limiterKey) ?? 0) > now) return
    if (this.throttledUntil.size >= THROTTLE_MEMO_SIZE) this.throttledUntil.clear()
    this.throttledUntil.set(limiterKey, now + Math.max(1, retryAfterSeconds) * 1000)

    const user = uid === null ? null : await this.findByUid(uid)
    await audit.record({
      event: 'sign_in.throttled',
      actor: user ? { type: 'user', id: user.id } : { type: 'system' },
      userId: user?.id ?? null,
      ip,
      userAgent,
      data: { scope },
    })
  }

  /** Forgets which callers were recorded as throttled (tests; a reset of the throttle). */
  reset() {
    this.throttledUntil.clear()
  }

  /** The account a username-or-email names, as verifyCredentials finds it. */
  private findByUid(uid: string) {
    const value = uid.trim()
    if (value === '' || value.length > 254) return null
    return User.query().where('username', value).orWhere('email', value.toLowerCase()).first()
  }
}

export default new SignInAudit()
