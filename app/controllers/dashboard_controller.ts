import type { HttpContext } from '@adonisjs/core/http'
import tokenService from '#services/token_service'

/** The seed's IsAuthenticated sample view, for people. */
export default class DashboardController {
  async show({ auth, view }: HttpContext) {
    const user = auth.getUserOrFail()
    const tokens = await tokenService.list(user)
    return view.render('pages/dashboard', { user, tokens })
  }
}
