import type { ApiClient } from '@japa/api-client'
import type User from '#models/user'

/**
 * A page form posted by `user`, signed in through the session (web) guard,
 * with the CSRF token the form would carry. Chain `.redirects(0)` and the
 * like on the returned request.
 */
export function postForm(
  client: ApiClient,
  user: User,
  url: string,
  fields: Record<string, unknown> = {}
) {
  return client.post(url).form(fields).withGuard('web').loginAs(user).withCsrfToken()
}
