import type { HttpContext } from '@adonisjs/core/http'
import { serializeUser } from '#transformers/user_transformer'

/** Who am I, and the seed's IsAuthenticated sample view. */
export default class MeController {
  async show({ auth }: HttpContext) {
    return { user: serializeUser(auth.getUserOrFail()) }
  }

  async protected({ auth }: HttpContext) {
    return { detail: 'Authenticated user only', user: serializeUser(auth.getUserOrFail()) }
  }
}
