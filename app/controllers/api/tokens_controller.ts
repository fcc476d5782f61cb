import type { HttpContext } from '@adonisjs/core/http'
import tokenService from '#services/token_service'
import { serializeToken } from '#services/token_presenter'
import { createTokenValidator, tokenIdValidator } from '#validators/token'
import { NotFoundException, PermissionDeniedException } from '#exceptions/api_exceptions'
import { revocations } from '#services/metrics'

/** The signed-in user's own tokens: list, create (value shown once), rotate, revoke. */
export default class TokensController {
  async index({ auth }: HttpContext) {
    const tokens = await tokenService.list(auth.getUserOrFail())
    return { tokens: tokens.map((token) => serializeToken(token)) }
  }

  async store({ auth, request, response }: HttpContext) {
    const user = auth.getUserOrFail()
    const { name, abilities, expiresIn } = await request.validateUsing(createTokenValidator)

    // A token may only hand out abilities it holds itself.
    const current = user.currentAccessToken
    const requested = abilities ?? current?.abilities ?? ['*']
    if (current && requested.some((ability) => !current.allows(ability))) {
      throw new PermissionDeniedException(
        'A token cannot create a token with abilities it does not have.'
      )
    }

    const issued = await tokenService.create(user, { name, abilities: requested, expiresIn })
    return response.created({ token: serializeToken(issued.token, issued.value) })
  }

  /** A successor with a new key (shown once); the old key expires after the grace period. */
  async rotate({ auth, params, response }: HttpContext) {
    const user = auth.getUserOrFail()
    const [error, data] = await tokenIdValidator.tryValidate({ id: Number(params.id) })
    const target = error ? null : await tokenService.find(user, data.id)
    if (!target) throw new NotFoundException()

    // Same rule as create: a token cannot mint a key with abilities it lacks.
    const current = user.currentAccessToken
    if (current && target.abilities.some((ability) => !current.allows(ability))) {
      throw new PermissionDeniedException(
        'A token cannot rotate a token with abilities it does not have.'
      )
    }

    const result = await tokenService.rotate(user, target.id)
    if (result.ok) {
      return response.created({
        token: serializeToken(result.successor.token, result.successor.value),
        previous: serializeToken(result.previous),
      })
    }
    if (result.reason === 'expired') {
      return response.badRequest({ detail: 'Token has expired and cannot be rotated.' })
    }
    if (result.reason === 'conflict') {
      return response.conflict({ detail: 'Token is already being rotated.' })
    }
    throw new NotFoundException()
  }

  async destroy({ auth, params, response }: HttpContext) {
    const [error, data] = await tokenIdValidator.tryValidate({ id: Number(params.id) })
    if (error || !(await tokenService.revoke(auth.getUserOrFail(), data.id))) {
      throw new NotFoundException()
    }
    revocations.api.inc()
    return response.noContent()
  }
}
