import type { HttpContext } from '@adonisjs/core/http'
import leakedKeyService from '#services/leaked_key_service'
import { revokeLeakedValidator } from '#validators/token'

/**
 * POST /api/v1/tokens/revoke-leaked: anyone holding keys may revoke them.
 * 202 with the number of keys received, never of keys revoked (no oracle).
 * Keys come in the body only (never the query string: URLs end up in logs).
 */
export default class LeakedTokensController {
  async store({ request, response }: HttpContext) {
    const body = request.body()
    const { keys } = await revokeLeakedValidator.validate(
      Array.isArray(body) ? { keys: body } : body
    )
    await leakedKeyService.revoke(keys, {
      ip: request.ip(),
      userAgent: request.header('user-agent'),
    })
    return response.accepted({ received: keys.length })
  }
}
