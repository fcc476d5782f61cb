import { createHash } from 'node:crypto'
import limiter from '@adonisjs/limiter/services/main'
import { errors as limiterErrors } from '@adonisjs/limiter'
import gatehouse from '#config/gatehouse'
import type User from '#models/user'
import authService from '#services/auth_service'
import signInAudit from '#services/sign_in_audit'
import { signIns } from '#services/metrics'

type ThrottleException = InstanceType<typeof limiterErrors.E_TOO_MANY_REQUESTS>

/** Thrown inside penalize() so that a refused sign-in counts as a failure. */
class FailedSignIn extends Error {}

/** DRF's Throttled message, with the wait the limiter computed. */
export function throttledMessage(seconds: number) {
  const wait = Math.max(1, Math.ceil(seconds))
  return `Request was throttled. Expected available in ${wait} second${wait === 1 ? '' : 's'}.`
}

/**
 * Login throttling, shared by the API sign-in routes and the web sign-in:
 * - per IP: every attempt counts (`hit`, from the login_throttle middleware);
 * - per username + IP: only failures count, a success clears them (`attempt`).
 * A blocked caller gets a ThrottleException (429, Retry-After). Keys are
 * hashed, so neither usernames nor addresses are stored in the clear.
 */
export class LoginThrottle {
  /** store: a store of config/limiter.ts; the configured default when omitted. */
  constructor(
    private config = gatehouse.throttle,
    private store?: 'memory' | 'redis' | 'database'
  ) {}

  /** Counts one attempt from this IP; throws when the IP is over its limit. */
  async hit(ip: string, userAgent?: string | null) {
    try {
      await this.limiter('ip').consume(this.key('ip', ip))
    } catch (error) {
      await this.recordThrottled(error, 'ip', this.key('ip', ip), null, { ip, userAgent })
      throw this.withMessage(error)
    }
  }

  /**
   * AuthService.attempt behind the username+IP limit: refused without a
   * password check while blocked, counted when it fails, cleared on success.
   */
  async attempt(
    uid: string,
    password: string,
    ip: string,
    userAgent?: string | null
  ): Promise<User | null> {
    const key = this.key('user', `${uid.trim().toLowerCase()}\n${ip}`)
    try {
      const [error, user] = await this.limiter('user').penalize(key, async () => {
        const found = await authService.attempt(uid, password)
        if (!found) throw new FailedSignIn()
        return found
      })
      if (error) throw error
      signIns.ok.inc()
      await signInAudit.succeeded(user, { ip, userAgent })
      return user
    } catch (error) {
      if (error instanceof FailedSignIn) {
        signIns.failed.inc()
        await signInAudit.failed(uid, { ip, userAgent })
        return null
      }
      await this.recordThrottled(error, 'user', key, uid, { ip, userAgent })
      throw this.withMessage(error)
    }
  }

  /** Forgets the failures of this username from this IP (e.g. after a password reset). */
  async clear(uid: string, ip: string) {
    await this.limiter('user').delete(this.key('user', `${uid.trim().toLowerCase()}\n${ip}`))
  }

  private limiter(kind: 'ip' | 'user') {
    const options = { ...this.config[kind] }
    return this.store ? limiter.use(this.store, options) : limiter.use(options)
  }

  private key(kind: 'ip' | 'user', value: string) {
    return `login:${kind}:${createHash('sha256').update(value).digest('base64url')}`
  }

  private async recordThrottled(
    error: unknown,
    scope: 'ip' | 'user',
    key: string,
    uid: string | null,
    context: { ip: string; userAgent?: string | null }
  ) {
    if (!(error instanceof limiterErrors.E_TOO_MANY_REQUESTS)) return
    const wait = (error as ThrottleException).response.availableIn
    await signInAudit.throttled(scope, key, wait, uid, context)
  }

  private withMessage(error: unknown) {
    if (error instanceof limiterErrors.E_TOO_MANY_REQUESTS) {
      signIns.throttled.inc()
      const exception = error as ThrottleException
      return exception.setMessage(throttledMessage(exception.response.availableIn))
    }
    return error
  }
}

export default new LoginThrottle()
