import { test } from '@japa/runner'
import { Settings } from 'luxon'
import string from '@adonisjs/core/helpers/string'
import db from '@adonisjs/lucid/services/db'
import tokenCache from '#services/token_cache'
import tokenService from '#services/token_service'
import userService from '#services/user_service'
import { isolateEachTest } from '#tests/helpers/database'

const PROTECTED = '/api/v1/protected'

async function expectStatus(
  request: PromiseLike<{ assertStatus(status: number): void }>,
  status: number
) {
  const response = await request
  response.assertStatus(status)
}

/**
 * The token cache in one process (TOKEN_CACHE=memory). Each test first makes
 * sure a request was answered from the cache (the row is gone from the
 * database, the request still passes), then that a change through the
 * services is refused on the very next request.
 */
test.group('Token cache (memory mode)', (group) => {
  isolateEachTest(group)
  group.setup(() => {
    const mode = tokenCache.config.mode
    tokenCache.config.mode = 'memory'
    return () => {
      tokenCache.config.mode = mode
      tokenCache.clear()
    }
  })
  group.each.setup(() => tokenCache.clear())

  async function cachedToken(expiresIn: string | null = null) {
    const user = await userService.create({ username: 'alice', password: 'correct horse' })
    const { token, value } = await tokenService.create(user, { expiresIn })
    return { user, token, value }
  }

  test('a verified token is served without the database', async ({ client }) => {
    const { value } = await cachedToken()
    await expectStatus(client.get(PROTECTED).header('authorization', `Token ${value}`), 200)

    // Removed behind the services' back: only the cache can still know this token.
    await db.from('auth_access_tokens').delete()
    await expectStatus(client.get(PROTECTED).header('authorization', `Token ${value}`), 200)
  })

  test('a revoked token is refused on the next request', async ({ client }) => {
    const { user, token, value } = await cachedToken()
    await expectStatus(client.get(PROTECTED).header('authorization', `Bearer ${value}`), 200)

    await tokenService.revoke(user, token.id)
    const response = await client.get(PROTECTED).header('authorization', `Bearer ${value}`)
    response.assertStatus(401)
    response.assertBody({ detail: 'Invalid token.' })
  })

  test('logout-all through the API is refused on the next request', async ({ client }) => {
    const { value } = await cachedToken()
    const auth = { authorization: `Token ${value}` }
    await expectStatus(client.get(PROTECTED).headers(auth), 200)
    await expectStatus(client.post('/api/v1/auth/logout-all').headers(auth), 204)
    await expectStatus(client.get(PROTECTED).headers(auth), 401)
  })

  test('a deactivated user is refused on the next request', async ({ client }) => {
    const { user, value } = await cachedToken()
    await expectStatus(client.get(PROTECTED).header('authorization', `Token ${value}`), 200)

    await userService.setActive(user, false)
    const response = await client.get(PROTECTED).header('authorization', `Token ${value}`)
    response.assertStatus(401)
    response.assertBody({ detail: 'User inactive or deleted.' })
  })

  test('a deleted user is refused on the next request', async ({ client }) => {
    const { user, value } = await cachedToken()
    await expectStatus(client.get(PROTECTED).header('authorization', `Token ${value}`), 200)

    await user.delete()
    await expectStatus(client.get(PROTECTED).header('authorization', `Token ${value}`), 401)
  })

  test('an expired token is refused even when cached', async ({ client, cleanup }) => {
    const { value } = await cachedToken('1h')
    await expectStatus(client.get(PROTECTED).header('authorization', `Token ${value}`), 200)

    const realNow = Settings.now
    cleanup(() => {
      Settings.now = realNow
    })
    Settings.now = () => Date.now() + 2 * 3600 * 1000
    const response = await client.get(PROTECTED).header('authorization', `Token ${value}`)
    response.assertStatus(401)
    response.assertBody({ detail: 'Token has expired.' })
  })

  test('use does not extend an entry: a change behind the services is seen after the TTL', async ({
    client,
    cleanup,
  }) => {
    const { value } = await cachedToken()
    const header = `Token ${value}`
    await expectStatus(client.get(PROTECTED).header('authorization', header), 200)
    await db.from('auth_access_tokens').delete()

    const realNow = Date.now
    cleanup(() => {
      Date.now = realNow
    })
    const ttl = string.seconds.parse(tokenCache.config.ttl) * 1000
    const start = realNow()
    // Used again before the TTL ends: still answered from the cache…
    Date.now = () => start + ttl * 0.7
    await expectStatus(client.get(PROTECTED).header('authorization', header), 200)
    // …and once the TTL has passed since it was stored, the database answers.
    Date.now = () => start + ttl * 1.4
    await expectStatus(client.get(PROTECTED).header('authorization', header), 401)
  })
})
