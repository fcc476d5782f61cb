import type { HttpContext } from '@adonisjs/core/http'
import { TokenGuard } from '#guards/token_guard'
import { userJson } from '#transformers/user_transformer'

/**
 * The signed-in user's public JSON: from the token guard, which has it
 * without building the user's model on a cached request; from the model
 * otherwise. Throws as getUserOrFail() does when nobody is signed in.
 */
function signedInUserJson(auth: HttpContext['auth']): string {
  const via = auth.authenticatedViaGuard
  const guard = via ? auth.use(via) : undefined
  return guard instanceof TokenGuard ? guard.userJson() : userJson(auth.getUserOrFail())
}

/**
 * Who am I, and the seed's IsAuthenticated sample view. Not `async`: nothing
 * to wait for, and an async method costs a promise and a turn of the
 * microtask queue per request (action() turns a throw into a rejection).
 *
 * The bodies are JSON text around the user's JSON, which the token cache
 * writes once per cached user: the same bytes as returning the object,
 * without building the user's model or serializing it on every request. A string body keeps the
 * Content-Type already set: these routes are behind the `api` middleware,
 * which sets `application/json` (tests/functional/drf_wire.spec.ts checks it).
 */
export default class MeController {
  show({ auth }: HttpContext) {
    return `{"user":${signedInUserJson(auth)}}`
  }

  protected({ auth }: HttpContext) {
    return `{"detail":"Authenticated user only","user":${signedInUserJson(auth)}}`
  }
}
