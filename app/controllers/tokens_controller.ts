import type { HttpContext } from '@adonisjs/core/http'
import tokenService from '#services/token_service'
import {
  createTokenFormValidator,
  revokeAllTokensValidator,
  tokenIdValidator,
} from '#validators/token'
import { revocations } from '#services/metrics'

/**
 * The signed-in user's tokens in the browser. A key is shown once, through
 * a flash message (never in a URL); "Get my API token" is the same
 * get-or-create as POST /api-token-auth/.
 */
export default class TokensController {
  async index({ auth, response, view }: HttpContext) {
    const tokens = await tokenService.list(auth.getUserOrFail())
    // The page may show a key: keep it out of every cache.
    response.header('Cache-Control', 'no-store')
    return view.render('pages/tokens', { tokens })
  }

  async mine({ auth, response, session }: HttpContext) {
    const { token, value, created } = await tokenService.getOrCreate(auth.getUserOrFail())
    session.flash('issuedToken', {
      id: token.id,
      name: token.name,
      value,
      retrievable: true,
      created,
    })
    return response.redirect().toPath('/tokens')
  }

  async store({ auth, request, response, session }: HttpContext) {
    const { name, abilities, expiresIn } = await request.validateUsing(createTokenFormValidator)
    const { token, value } = await tokenService.create(auth.getUserOrFail(), {
      name,
      abilities,
      expiresIn,
    })
    session.flash('issuedToken', { id: token.id, name: token.name, value, retrievable: false })
    return response.redirect().toPath('/tokens')
  }

  async destroy({ auth, params, response, session }: HttpContext) {
    const user = auth.getUserOrFail()
    const [error, data] = await tokenIdValidator.tryValidate({ id: Number(params.id) })
    const token = error ? null : await tokenService.find(user, data.id)

    if (token && (await tokenService.revoke(user, token.id))) {
      revocations.web.inc()
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
    session.flash('success', `${count} ${count === 1 ? 'token' : 'tokens'} revoked.`)
    return response.redirect().toPath('/tokens')
  }
}
