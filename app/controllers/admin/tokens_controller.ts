import type { HttpContext } from '@adonisjs/core/http'
import { whereLastUsed } from '#transformers/audit_event_transformer'
import staffService from '#services/staff_service'
import { validateTokenFilters, withoutPage } from '#validators/admin'

/** The console's list of live tokens across users (revocation: UsersController.revokeToken). */
export default class TokensController {
  async index({ request, response, view }: HttpContext) {
    const [error, filters] = await validateTokenFilters(request.qs())
    response.header('Cache-Control', 'no-store')
    if (error) {
      response.status(400)
      return view.render('pages/admin/tokens', {
        filters: {},
        tokens: null,
        filterError: error.messages,
      })
    }
    const tokens = await staffService.listTokens(filters)
    tokens.baseUrl('/admin/tokens').queryString(withoutPage(filters))
    return view.render('pages/admin/tokens', {
      filters,
      tokens,
      whereLastUsed,
      returnTo: request.url(true),
    })
  }
}
