import User from '#models/user'
import audit, { type AuditEventName } from '#services/audit_service'

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

  succeeded(user: User, context: SignInContext) {
    return this.record('sign_in.succeeded', user, context)
  }

  async failed(uid: string, context: SignInContext) {
    const user = await this.findByUid(uid)
    if (!user) return
    await this.record('sign_in.failed', user, context, {
      reason: user.isActive ? 'bad_credentials' : 'inactive',
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
    await this.record('sign_in.throttled', user, { ip, userAgent }, { scope })
  }

  /** Forgets which callers were recorded as throttled (tests; a reset of the throttle). */
  reset() {
    this.throttledUntil.clear()
  }

  /** An event about the account (or, unknown, by the system) from that caller. */
  private record(
    event: AuditEventName,
    user: User | null,
    { ip, userAgent }: SignInContext,
    data?: Record<string, unknown>
  ) {
    return audit.record({
      event,
      actor: user ? { type: 'user', id: user.id } : { type: 'system' },
      userId: user?.id ?? null,
      ip,
      userAgent,
      data,
    })
  }

  /** The account a username-or-email names, as verifyCredentials finds it. */
  private findByUid(uid: string) {
    const value = uid.trim()
    if (value === '' || value.length > 254) return null
    return User.query().where('username', value).orWhere('email', value.toLowerCase()).first()
  }
}

export default new SignInAudit()
