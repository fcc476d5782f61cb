import type { HttpContext } from '@adonisjs/core/http'
import type { NextFn } from '@adonisjs/core/types/http'
import loginThrottle from '#services/login_throttle'

/**
 * Counts every sign-in request against its IP address before anything else
 * runs (429 once over the limit; IPv6 by /64). The per-account limit is applied where
 * the password is checked: LoginThrottle.attempt.
 */
export default class LoginThrottleMiddleware {
  async handle({ request }: HttpContext, next: NextFn) {
    await loginThrottle.hit(request.ip(), request.header('user-agent'))
    return next()
  }
}
