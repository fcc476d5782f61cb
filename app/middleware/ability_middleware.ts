import type { HttpContext } from '@adonisjs/core/http'
import type { NextFn } from '@adonisjs/core/types/http'
import { PermissionDeniedException } from '#exceptions/api_exceptions'

/**
 * After `auth`: a request authenticated by a token must hold every listed
 * ability (403 otherwise). Session-authenticated requests have no token
 * and are not limited.
 */
export default class AbilityMiddleware {
  handle({ auth }: HttpContext, next: NextFn, abilities: string[]) {
    const token = auth.user?.currentAccessToken
    if (token && !token.allowsAll(abilities)) {
      throw new PermissionDeniedException()
    }
    return next()
  }
}
