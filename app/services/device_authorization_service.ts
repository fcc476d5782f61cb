import { createHash, randomBytes, randomInt } from 'node:crypto'
import { DateTime } from 'luxon'
import db from '@adonisjs/lucid/services/db'
import { sqlTimestamp } from '#services/sql'
import string from '@adonisjs/core/helpers/string'
import limiter from '@adonisjs/limiter/services/main'
import { errors as limiterErrors } from '@adonisjs/limiter'
import gatehouse from '#config/gatehouse'
import DeviceAuthorization from '#models/device_authorization'
import User from '#models/user'
import tokenService, { type IssuedToken } from '#services/token_service'
import { throttledMessage } from '#services/login_throttle'
import { TokenLimitException } from '#exceptions/token_limit_exception'

/** RFC 8628 §6.1: consonants only, no look-alikes (no 0/O, 1/I/L, 5/S … vowels either). */
export const USER_CODE_ALPHABET = 'BCDFGHJKLMNPQRSTVWXZ'
export const USER_CODE_LENGTH = 8
export const DEVICE_CODE_GRANT = 'urn:ietf:params:oauth:grant-type:device_code'
export const DEFAULT_DEVICE_TOKEN_NAME = 'Device sign-in'

const DEVICE_CODE_PATTERN = /^[A-Za-z0-9_-]{43}$/
const TABLE = DeviceAuthorization.table

export type DeviceError =
  'authorization_pending' | 'slow_down' | 'access_denied' | 'expired_token' | 'invalid_grant'

export type PollResult =
  | { ok: true; issued: IssuedToken; user: User }
  | { ok: false; error: DeviceError; description: string }

export type LookupResult =
  | { ok: true; request: DeviceAuthorization }
  | { ok: false; reason: 'unknown' | 'throttled'; retryAfter?: number }

function sha256(value: string) {
  return createHash('sha256').update(value).digest('hex')
}

function isUniqueViolation(error: unknown): boolean {
  const code = (error as { code?: string } | null)?.code
  return code === '23505' || code === 'SQLITE_CONSTRAINT_UNIQUE'
}

/** "bcdf-ghjk", "BCDF GHJK" → "BCDFGHJK"; null when it cannot be a user code. */
export function normalizeUserCode(input: string): string | null {
  const code = input.toUpperCase().replace(/[\s-]/g, '')
  if (code.length !== USER_CODE_LENGTH) return null
  return [...code].every((char) => USER_CODE_ALPHABET.includes(char)) ? code : null
}

/** How a person reads a user code: ABCD-EFGH. */
export function formatUserCode(code: string) {
  return `${code.slice(0, 4)}-${code.slice(4)}`
}

/**
 * The OAuth 2.0 device authorization grant (RFC 8628) for command-line
 * tools: the tool gets a device code (secret) and a user code; the person
 * approves the user code on /device; the tool's next poll gets a token of
 * the approving user. Both codes are stored as SHA-256 hashes only.
 */
export class DeviceAuthorizationService {
  constructor(private config = gatehouse.device) {}

  /** Counts one POST /api/v1/device/authorize from this IP; throws (429) over the limit. */
  async throttleAuthorize(ip: string) {
    try {
      await limiter
        .use({ ...this.config.authorizeThrottle })
        .consume(`device:authorize:${sha256(ip)}`)
    } catch (error) {
      if (error instanceof limiterErrors.E_TOO_MANY_REQUESTS) {
        throw error.setMessage(throttledMessage(error.response.availableIn))
      }
      throw error
    }
  }

  /** Starts a request; the plaintext codes are returned once, to the tool. */
  async start(options: { name?: string; abilities?: string[] } = {}) {
    const now = DateTime.now()
    // Requests expired for a day are forgotten (their codes can never match again).
    await DeviceAuthorization.query()
      .where('expires_at', '<', sqlTimestamp(now.minus({ days: 1 })))
      .delete()

    const lifetime = string.seconds.parse(this.config.lifetime)
    for (let attempt = 0; ; attempt++) {
      const deviceCode = randomBytes(32).toString('base64url')
      const userCode = Array.from(
        { length: USER_CODE_LENGTH },
        () => USER_CODE_ALPHABET[randomInt(USER_CODE_ALPHABET.length)]
      ).join('')
      try {
        await DeviceAuthorization.create({
          deviceCodeHash: sha256(deviceCode),
          userCodeHash: sha256(userCode),
          name: options.name ?? DEFAULT_DEVICE_TOKEN_NAME,
          abilities: options.abilities ?? ['*'],
          status: 'pending',
          userId: null,
          interval: this.config.interval,
          lastPolledAt: null,
          expiresAt: now.plus({ seconds: lifetime }),
          decidedAt: null,
        })
        return {
          deviceCode,
          userCode: formatUserCode(userCode),
          expiresIn: lifetime,
          interval: this.config.interval,
        }
      } catch (error) {
        // A user code already in use (1 in 25 billion per live request): draw again.
        if (!isUniqueViolation(error) || attempt >= 4) throw error
      }
    }
  }

  /**
   * The pending, unexpired request with this user code, for the person on
   * /device. Wrong codes count against the person and their IP address
   * (a right one does not reset the count: anyone can make right codes).
   */
  async lookup(input: string, user: User, ip: string): Promise<LookupResult> {
    const limiters = this.userCodeLimiters(user, ip)
    for (const { limit, key } of limiters) {
      const state = await limit.get(key)
      if (state && state.remaining <= 0) {
        return { ok: false, reason: 'throttled', retryAfter: state.availableIn }
      }
    }

    const request = await this.findPending(input)
    if (request) return { ok: true, request }

    for (const { limit, key } of limiters) {
      const { consumed, limit: max } = await limit.increment(key)
      if (consumed >= max) await limit.block(key, this.config.userCodeThrottle.blockDuration)
    }
    return { ok: false, reason: 'unknown' }
  }

  /**
   * Approves or denies a pending request as `user`. Only one decision is
   * ever taken for a code (conditional update); null when it is no longer
   * pending or has expired.
   */
  async decide(request: DeviceAuthorization, user: User, approve: boolean) {
    const now = DateTime.now()
    const updated = await db
      .from(TABLE)
      .where('id', request.id)
      .where('status', 'pending')
      .where('expires_at', '>', sqlTimestamp(now))
      .update({
        status: approve ? 'approved' : 'denied',
        user_id: user.id,
        decided_at: sqlTimestamp(now),
      })
    return Number(updated) === 1
  }

  /** POST /api/v1/device/token: RFC 8628 §3.5's answers, or the approving user's new token. */
  async poll(deviceCode: string): Promise<PollResult> {
    const unknown = {
      ok: false,
      error: 'invalid_grant',
      description: 'The device code is unknown or has already been used.',
    } as const
    if (!DEVICE_CODE_PATTERN.test(deviceCode)) return unknown

    const request = await DeviceAuthorization.findBy('device_code_hash', sha256(deviceCode))
    if (!request || request.status === 'issued') return unknown
    if (request.isExpired) {
      return {
        ok: false,
        error: 'expired_token',
        description: 'The device code has expired: start the sign-in again.',
      }
    }

    if (!(await this.acceptPoll(request))) {
      return {
        ok: false,
        error: 'slow_down',
        description: `Polling too fast: wait at least ${request.interval + 5} seconds between requests.`,
      }
    }

    if (request.status === 'pending') {
      return {
        ok: false,
        error: 'authorization_pending',
        description: 'Waiting for the user to approve the request on /device.',
      }
    }
    const denied = {
      ok: false,
      error: 'access_denied',
      description: 'The request was denied.',
    } as const
    if (request.status === 'denied' || request.userId === null) return denied

    const user = await User.find(request.userId)
    if (!user || !user.isActive || user.passwordMustChange) return denied

    // Spent before the token exists: two concurrent polls cannot both get one.
    const spent = await db
      .from(TABLE)
      .where('id', request.id)
      .where('status', 'approved')
      .update({ status: 'issued' })
    if (Number(spent) !== 1) return unknown
    try {
      const issued = await tokenService.create(user, {
        name: request.name,
        abilities: request.abilities,
      })
      return { ok: true, issued, user }
    } catch (error) {
      await db.from(TABLE).where('id', request.id).update({ status: 'approved' })
      // At tokens.maxPerUser: the tool is told why; the approval stays for a later poll.
      if (error instanceof TokenLimitException) {
        return { ok: false, error: 'access_denied', description: error.message }
      }
      throw error
    }
  }

  private async findPending(input: string) {
    const code = normalizeUserCode(input)
    if (!code) return null
    return DeviceAuthorization.query()
      .where('user_code_hash', sha256(code))
      .where('status', 'pending')
      .where('expires_at', '>', sqlTimestamp(DateTime.now()))
      .first()
  }

  /**
   * Records this poll unless it comes sooner than the interval after the
   * last one; then the interval grows by 5 seconds (RFC 8628 §3.5) and the
   * poll is refused. Conditional updates: concurrent polls cannot both pass.
   */
  private async acceptPoll(request: DeviceAuthorization) {
    const now = DateTime.now()
    const accepted = await db
      .from(TABLE)
      .where('id', request.id)
      .where((query) =>
        query
          .whereNull('last_polled_at')
          .orWhere('last_polled_at', '<=', sqlTimestamp(now.minus({ seconds: request.interval })))
      )
      .update({ last_polled_at: sqlTimestamp(now) })
    if (Number(accepted) === 1) return true

    await db
      .from(TABLE)
      .where('id', request.id)
      .update({ interval: db.raw('?? + 5', ['interval']), last_polled_at: sqlTimestamp(now) })
    return false
  }

  private userCodeLimiters(user: User, ip: string) {
    const { requests, duration, blockDuration } = this.config.userCodeThrottle
    const limit = limiter.use({ requests, duration, blockDuration })
    return [
      { limit, key: `device:user:${user.id}` },
      { limit, key: `device:ip:${sha256(ip)}` },
    ]
  }
}

export default new DeviceAuthorizationService()
