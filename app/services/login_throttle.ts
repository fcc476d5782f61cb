import { createHash } from 'node:crypto'
import { isIPv4, isIPv6 } from 'node:net'
import limiter from '@adonisjs/limiter/services/main'
import { errors as limiterErrors } from '@adonisjs/limiter'
import gatehouse from '#config/gatehouse'
import type User from '#models/user'
import authService from '#services/auth_service'
import userService from '#services/user_service'
import signInAudit from '#services/sign_in_audit'
import { signIns } from '#services/metrics'

type ThrottleException = InstanceType<typeof limiterErrors.E_TOO_MANY_REQUESTS>

/** Thrown inside penalize() so that a refused sign-in counts as a failure. */
class FailedSignIn extends Error {}

/** The eight 16-bit groups of a valid IPv6 address (zone dropped, embedded IPv4 unpacked). */
function ipv6Groups(ip: string): number[] {
  let text = ip.replace(/%.*$/, '')
  const dotted = /(\d+)\.(\d+)\.(\d+)\.(\d+)$/.exec(text)
  if (dotted) {
    const [a, b, c, d] = dotted.slice(1).map(Number)
    text = `${text.slice(0, dotted.index)}${((a << 8) | b).toString(16)}:${((c << 8) | d).toString(16)}`
  }
  const [head, tail] = text.split('::')
  const parse = (part: string | undefined) =>
    part ? part.split(':').map((group) => Number.parseInt(group, 16)) : []
  const left = parse(head)
  const right = parse(tail)
  const zeros = tail === undefined ? [] : Array(8 - left.length - right.length).fill(0)
  return [...left, ...zeros, ...right]
}

/**
 * What the per-IP limits count by: an IPv4 address as is (also when written
 * IPv4-mapped, ::ffff:a.b.c.d), an IPv6 address by its /64, the smallest
 * block a client is usually given: rotating addresses inside it gains nothing.
 */
export function ipGroup(ip: string): string {
  if (isIPv4(ip)) return ip
  if (!isIPv6(ip)) return ip
  const groups = ipv6Groups(ip)
  if (groups.slice(0, 5).every((group) => group === 0) && groups[5] === 0xffff) {
    return [groups[6] >> 8, groups[6] & 0xff, groups[7] >> 8, groups[7] & 0xff].join('.')
  }
  return `${groups
    .slice(0, 4)
    .map((group) => group.toString(16))
    .join(':')}::/64`
}

/** DRF's Throttled message, with the wait the limiter computed. */
export function throttledMessage(seconds: number) {
  const wait = Math.max(1, Math.ceil(seconds))
  return `Request was throttled. Expected available in ${wait} second${wait === 1 ? '' : 's'}.`
}

/**
 * Login throttling, shared by the API sign-in routes and the web sign-in:
 * - per IP: every attempt counts (`hit`, from the login_throttle middleware);
 * - per account + IP: only failures count, a success clears them (`attempt`).
 *   The account is the user the identifier resolves to, whether its username
 *   or its email is typed; an unknown identifier counts on its own, the same
 *   way, so the limit tells nothing about which names exist.
 * IPv6 addresses count by /64 (ipGroup).
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
      await this.limiter('ip').consume(this.key('ip', ipGroup(ip)))
    } catch (error) {
      await this.recordThrottled(error, 'ip', this.key('ip', ipGroup(ip)), null, { ip, userAgent })
      throw this.withMessage(error)
    }
  }

  /**
   * AuthService.attempt behind the account+IP limit: refused without a
   * password check while blocked, counted when it fails, cleared on success.
   */
  async attempt(
    uid: string,
    password: string,
    ip: string,
    userAgent?: string | null
  ): Promise<User | null> {
    const key = await this.accountKey(uid, ip)
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

  /** Forgets the failures of this account from this IP (e.g. after a password reset). */
  async clear(uid: string, ip: string) {
    await this.limiter('user').delete(await this.accountKey(uid, ip))
  }

  /**
   * The account's lower-cased username when the identifier resolves to one,
   * else the lower-cased identifier ("ALICE" shares alice's count, too).
   */
  private async accountKey(uid: string, ip: string) {
    const typed = uid.trim()
    const user = typed === '' || typed.length > 254 ? null : await userService.findForSignIn(typed)
    const name = (user?.username ?? typed).toLowerCase()
    return this.key('user', `${name}\n${ipGroup(ip)}`)
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
