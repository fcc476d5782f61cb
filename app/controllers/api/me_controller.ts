import type { HttpContext } from '@adonisjs/core/http'

/** Who am I, and the seed's IsAuthenticated sample view. */
export default class MeController {
  async show({ auth }: HttpContext) {
    return { user: auth.getUserOrFail() }
  }

  async protected({ auth }: HttpContext) {
    return { detail: 'Authenticated user only', user: auth.getUserOrFail() }
  }
}
