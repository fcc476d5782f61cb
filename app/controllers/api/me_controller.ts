import type { HttpContext } from '@adonisjs/core/http'
import { serializeUser } from '#transformers/user_transformer'

/**
 * Who am I, and the seed's IsAuthenticated sample view. Not `async`: nothing
 * to wait for, and an async method costs a promise and a turn of the
 * microtask queue per request (action() turns a throw into a rejection).
 */
export default class MeController {
  show({ auth }: HttpContext) {
    return { user: serializeUser(auth.getUserOrFail()) }
  }

  protected({ auth }: HttpContext) {
    return { detail: 'Authenticated user only', user: serializeUser(auth.getUserOrFail()) }
  }
}
