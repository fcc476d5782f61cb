import { DateTime } from 'luxon'
import hash from '@adonisjs/core/services/hash'
import gatehouse from '#config/gatehouse'
import type User from '#models/user'
import { ConcurrencyLimit } from '#services/concurrency_limit'
import userService from '#services/user_service'
import gracefulShutdown from '#services/graceful_shutdown'
import { ServiceUnavailableException } from '#exceptions/api_exceptions'
import { measurePasswordHashQueue, passwordHashRefusals } from '#services/metrics'

/** Checks username-or-email + password the way Django's ModelBackend does. */
export class AuthService {
  constructor(
    private config = gatehouse.passwords,
    /** Bounded queue; refused (503) when full or when the process starts shutting down. */
    readonly hashing = new ConcurrencyLimit(config.hashConcurrency, {
      maxWaiting: config.hashQueue,
      signal: gracefulShutdown.signal,
      refuse: (reason) => {
        passwordHashRefusals.inc()
        return ServiceUnavailableException.signIn(reason)
      },
    })
  ) {
    measurePasswordHashQueue(() => this.hashing.waiting)
  }

  /**
   * Returns the active user with these credentials, or null. Wrong password,
   * unknown user, inactive user and an over-long password are not told apart,
   * and each costs one password hash (no user enumeration by timing).
   * A hash in an older format is re-hashed on the first successful sign-in.
   */
  attempt(uid: string, password: string): Promise<User | null> {
    return this.hashing.run(() => this.check(uid, password))
  }

  private async check(uid: string, password: string): Promise<User | null> {
    const scrypt = hash.use('scrypt')
    if (password.length > this.config.maxLength || uid.length > 254) {
      await scrypt.make('gatehouse-equal-cost-placeholder')
      return null
    }

    const user = await userService.findForSignIn(uid)
    const verified = user ? await user.verifyPassword(password) : false
    if (!user || !verified || !user.isActive) {
      // A cheap, unusable or unknown stored format costs as much as a scrypt check.
      if (!user || !scrypt.isValidHash(user.password)) await scrypt.make(password)
      return null
    }
    if (user.passwordNeedsReHash) {
      // Imported (e.g. Django) or outdated hash: store it with today's hasher.
      user.password = password
      await user.save()
    }
    return user
  }

  async recordLogin(user: User) {
    user.lastLoginAt = DateTime.now()
    await user.save()
  }
}

export default new AuthService()
