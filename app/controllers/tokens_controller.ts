import type { HttpContext } from '@adonisjs/core/http'
import tokenService, { type IssuedToken } from '#services/token_service'
import { TokenLimitException } from '#exceptions/token_limit_exception'
import audit, { aboutToken, byUser } from '#services/audit_service'
import * as presenters from '#transformers/audit_event_transformer'
import { createTokenFormValidator, revokeAllTokensValidator, idParam } from '#validators/token'
import { revocations } from '#services/metrics'

/**
 * The signed-in user's tokens in the browser. A new key is rendered once, in
 * the answer to the POST that made it (no-store): never kept in the session,
 * a flash message, a cookie or a URL, so replaying cookies shows it to no
 * one. "Get my API token" is the same get-or-create as POST /api-token-auth/.
 */
export default class TokensController {
  async index({ auth, response, view }: HttpContext) {
    const tokens = await tokenService.list(auth.getUserOrFail())
    const activity = await audit.recentForUser(auth.getUserOrFail().id, 10)
    response.header('Cache-Control', 'no-store')
    return view.render('pages/tokens', { tokens, activity, ...presenters })
  }

  async mine(ctx: HttpContext) {
    const { auth, request, response, session } = ctx
    try {
      const issued = await tokenService.getOrCreate(auth.getUserOrFail())
      await audit.record({
        event: 'token.obtained',
        ...byUser(auth.getUserOrFail(), request),
        ...aboutToken(issued.token, { created: issued.created }),
      })
      return this.showKey(ctx, issued, true)
    } catch (error) {
      if (!(error instanceof TokenLimitException)) throw error
      session.flash('error', error.message)
      return response.redirect().toPath('/tokens')
    }
  }

  async store(ctx: HttpContext) {
    const { auth, request, response, session } = ctx
    const { name, abilities, expiresIn } = await request.validateUsing(createTokenFormValidator)
    try {
      const issued = await tokenService.create(auth.getUserOrFail(), { name, abilities, expiresIn })
      await audit.record({
        event: 'token.created',
        ...byUser(auth.getUserOrFail(), request),
        ...aboutToken(issued.token),
      })
      return this.showKey(ctx, issued, false)
    } catch (error) {
      if (!(error instanceof TokenLimitException)) throw error
      session.flashAll()
      session.flash('error', error.message)
      return response.redirect().toPath('/tokens')
    }
  }

  async destroy({ auth, params, request, response, session }: HttpContext) {
    const user = auth.getUserOrFail()
    const id = await idParam(params.id)
    const token = id === null ? null : await tokenService.find(user, id)

    if (token && (await tokenService.revoke(user, token.id))) {
      revocations.web.inc()
      await audit.record({ event: 'token.revoked', ...byUser(user, request), ...aboutToken(token) })
      session.flash('success', `Token “${token.name}” revoked. Requests using it are now refused.`)
    } else {
      session.flash('error', 'That token does not exist or was already revoked.')
    }
    return response.redirect().toPath('/tokens')
  }

  async destroyAll({ auth, request, response, session }: HttpContext) {
    await request.validateUsing(revokeAllTokensValidator)
    const count = await tokenService.revokeAll(auth.getUserOrFail())
    revocations.web.inc(count)
    await audit.record({
      event: 'token.revoked',
      ...byUser(auth.getUserOrFail(), request),
      data: { all: true, count },
    })
    session.flash('success', `${count} ${count === 1 ? 'token' : 'tokens'} revoked.`)
    return response.redirect().toPath('/tokens')
  }

  /** The tokens page with the key, as the answer to the POST itself. */
  private async showKey(
    { auth, response, view }: HttpContext,
    { token, value, created }: IssuedToken,
    retrievable: boolean
  ) {
    const tokens = await tokenService.list(auth.getUserOrFail())
    const activity = await audit.recentForUser(auth.getUserOrFail().id, 10)
    response.header('Cache-Control', 'no-store')
    return view.render('pages/tokens', {
      tokens,
      activity,
      ...presenters,
      issued: { id: token.id, name: token.name, value, retrievable, created },
    })
  }
}
