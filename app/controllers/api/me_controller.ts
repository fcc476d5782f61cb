import type { HttpContext } from '@adonisjs/core/http'
import { userJson } from '#transformers/user_transformer'

/**
 * Who am I, and the seed's IsAuthenticated sample view. Not `async`: nothing
 * to wait for, and an async method costs a promise and a turn of the
 * microtask queue per request (action() turns a throw into a rejection).
 *
 * The bodies are JSON text around the user's JSON, which is written once
 * per cached user (userJson): the same bytes as returning the object, without
 * serializing the user on every request. A string body keeps the
 * Content-Type already set: these routes are behind the `api` middleware,
 * which sets `application/json` (tests/functional/drf_wire.spec.ts checks it).
 */
export default class MeController {
  show({ auth }: HttpContext) {
    return `{"user":${userJson(auth.getUserOrFail())}}`
  }

  protected({ auth }: HttpContext) {
    return `{"detail":"Authenticated user only","user":${userJson(auth.getUserOrFail())}}`
  }
}
