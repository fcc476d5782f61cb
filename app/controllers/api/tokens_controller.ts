import type { HttpContext } from '@adonisjs/core/http'
import tokenService from '#services/token_service'
import audit, { aboutToken, byUser } from '#services/audit_service'
import { serializeToken } from '#transformers/token_transformer'
import { createTokenValidator, idParam } from '#validators/token'
import { NotFoundException, PermissionDeniedException } from '#exceptions/api_exceptions'
import { revocations } from '#services/metrics'

/** Said in the answer when a new token's expiry was lowered to the caller's. */
const CAPPED_NOTICE =
  'expiresAt was lowered to the expiry of the token that made this request: a token cannot create a token that outlives it.'

/** 201 with a new key: never stored by a browser or a proxy; says whether its expiry was capped. */
function createdWithKey(
  response: HttpContext['response'],
  issued: { expiryCapped: boolean },
  body: Record<string, unknown>
) {
  response.header('Cache-Control', 'no-store')
  return response.created({
    ...body,
    expiryCapped: issued.expiryCapped,
    ...(issued.expiryCapped ? { notice: CAPPED_NOTICE } : {}),
  })
}

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
    if (current && !current.allowsAll(requested)) {
      throw new PermissionDeniedException(
        'A token cannot create a token with abilities it does not have.'
      )
    }

    const issued = await tokenService.create(user, {
      name,
      abilities: requested,
      expiresIn,
      issuedBy: current,
    })
    await audit.record({
      event: 'token.created',
      ...byUser(user, request),
      ...aboutToken(issued.token),
    })
    return createdWithKey(response, issued, { token: serializeToken(issued.token, issued.value) })
  }

  /** A successor with a new key (shown once); the old key expires after the grace period. */
  async rotate({ auth, params, request, response }: HttpContext) {
    const user = auth.getUserOrFail()
    const id = await idParam(params.id)
    const target = id === null ? null : await tokenService.find(user, id)
    if (!target) throw new NotFoundException()

    // Same rule as create: a token cannot mint a key with abilities it lacks.
    const current = user.currentAccessToken
    if (current && !current.allowsAll(target.abilities)) {
      throw new PermissionDeniedException(
        'A token cannot rotate a token with abilities it does not have.'
      )
    }

    const result = await tokenService.rotate(user, target.id, undefined, current)
    if (result.ok) {
      await audit.record({
        event: 'token.rotated',
        ...byUser(user, request),
        ...aboutToken(target, { successorId: result.successor.token.id }),
      })
      return createdWithKey(response, result.successor, {
        token: serializeToken(result.successor.token, result.successor.value),
        previous: serializeToken(result.previous),
      })
    }
    if (result.reason === 'expired') {
      return response.badRequest({ detail: 'Token has expired and cannot be rotated.' })
    }
    if (result.reason === 'already_rotated' || result.reason === 'conflict') {
      return response.conflict({ detail: 'Token has already been rotated.' })
    }
    throw new NotFoundException()
  }

  async destroy({ auth, params, request, response }: HttpContext) {
    const user = auth.getUserOrFail()
    const id = await idParam(params.id)
    const token = id === null ? null : await tokenService.find(user, id)
    if (!token || !(await tokenService.revoke(user, token.id))) throw new NotFoundException()
    revocations.api.inc()
    await audit.record({ event: 'token.revoked', ...byUser(user, request), ...aboutToken(token) })
    return response.noContent()
  }
}
