import { test } from '@japa/runner'
import { urlFor } from '@adonisjs/core/services/url_builder'
import { isolateEachTest } from '#tests/helpers/database'
import { expireToken, makeToken, makeUser } from '#tests/helpers/factories'
import { generateKey } from '#services/token_key'
import userService from '#services/user_service'
import emitter from '@adonisjs/core/services/emitter'
import { countCheckUsing } from '#tests/helpers/check_using'

const WWW_AUTHENTICATE = 'Token realm="api", Bearer realm="api"'

test.group('Token authentication: DRF header cases', (group) => {
  isolateEachTest(group)

  test('{title} → 401 "{detail}"')
    .with([
      { title: 'no header', header: null, detail: 'Authentication credentials were not provided.' },
      {
        title: 'another scheme',
        header: 'Basic dXNlcjpwYXNzd29yZA==',
        detail: 'Authentication credentials were not provided.',
      },
      {
        title: 'keyword alone',
        header: 'Token',
        detail: 'Invalid token header. No credentials provided.',
      },
      {
        title: 'Bearer alone',
        header: 'Bearer ',
        detail: 'Invalid token header. No credentials provided.',
      },
      {
        title: 'two parts after the keyword',
        header: 'Token abc def',
        detail: 'Invalid token header. Token string should not contain spaces.',
      },
      {
        title: 'characters outside a key',
        header: 'Token abc<def>',
        detail: 'Invalid token header. Token string should not contain invalid characters.',
      },
      {
        title: 'unknown key',
        header: `Token ${generateKey('gth_').value}`,
        detail: 'Invalid token.',
      },
      { title: 'random garbage', header: 'Bearer not-a-real-key', detail: 'Invalid token.' },
      {
        title: 'unknown DRF-style key',
        header: 'Token 9944b09199c62bcf9418ad846dd0e4bbdfc6ee4b',
        detail: 'Invalid token.',
      },
    ])
    .run(async ({ client }, { header, detail }) => {
      const request = client.get(urlFor('api.v1.protected'))
      if (header !== null) request.header('Authorization', header)
      const response = await request
      response.assertStatus(401)
      response.assertBody({ detail })
      response.assertHeader('www-authenticate', WWW_AUTHENTICATE)
    })

  test('Token and Bearer both authenticate, keyword case-insensitive', async ({
    client,
    assert,
  }) => {
    const { user, value } = await makeToken()
    for (const header of [
      `Token ${value}`,
      `Bearer ${value}`,
      `token ${value}`,
      `BEARER\t${value}`,
    ]) {
      const response = await client.get(urlFor('api.v1.protected')).header('Authorization', header)
      response.assertStatus(200)
      assert.equal(response.body().detail, 'Authenticated user only')
      assert.equal(response.body().user.username, user.username)
      assert.notProperty(response.body().user, 'password')
    }
  })

  test('a wrong secret with a valid checksum is "Invalid token."', async ({ client }) => {
    await makeToken()
    const response = await client
      .get(urlFor('api.v1.protected'))
      .header('Authorization', `Token ${generateKey('gth_').value}`)
    response.assertStatus(401)
    response.assertBody({ detail: 'Invalid token.' })
  })

  test('an expired token is refused with a message that says so', async ({ client }) => {
    const { token, value } = await makeToken()
    await expireToken(token.id)
    const response = await client
      .get(urlFor('api.v1.protected'))
      .header('Authorization', `Token ${value}`)
    response.assertStatus(401)
    response.assertBody({ detail: 'Token has expired.' })
    response.assertHeader('www-authenticate', WWW_AUTHENTICATE)
  })

  test('an inactive user is refused: "User inactive or deleted."', async ({ client }) => {
    const { user, value } = await makeToken()
    await userService.setActive(user, false)
    const response = await client
      .get(urlFor('api.v1.protected'))
      .header('Authorization', `Token ${value}`)
    response.assertStatus(401)
    response.assertBody({ detail: 'User inactive or deleted.' })
  })

  test('a deleted user takes its tokens along (cascade)', async ({ client }) => {
    const { user, value } = await makeToken()
    await user.delete()
    const response = await client
      .get(urlFor('api.v1.protected'))
      .header('Authorization', `Token ${value}`)
    response.assertStatus(401)
    response.assertBody({ detail: 'Invalid token.' })
  })

  test('a valid token without a required ability gets 403, not 401', async ({ client }) => {
    const { value } = await makeToken(undefined, ['profile:read'])
    const response = await client
      .get(urlFor('api.v1.tokens.index'))
      .header('Authorization', `Token ${value}`)
    response.assertStatus(403)
    response.assertBody({ detail: 'You do not have permission to perform this action.' })

    const allowed = await client
      .get(urlFor('api.v1.protected'))
      .header('Authorization', `Token ${value}`)
    allowed.assertStatus(200)
  })

  test('a token with the ability passes', async ({ client }) => {
    const { value } = await makeToken(undefined, ['tokens:read'])
    const response = await client
      .get(urlFor('api.v1.tokens.index'))
      .header('Authorization', `Bearer ${value}`)
    response.assertStatus(200)
  })

  test('API errors are JSON whatever Accept says', async ({ client, assert }) => {
    for (const accept of ['text/html', 'text/plain', '*/*', 'application/xml']) {
      const response = await client.get(urlFor('api.v1.protected')).header('Accept', accept)
      response.assertStatus(401)
      assert.match(response.header('content-type') ?? '', /application\/json/)
      response.assertBody({ detail: 'Authentication credentials were not provided.' })
    }
    const missing = await client.get('/api/v1/nope').header('Accept', 'text/html')
    missing.assertStatus(404)
    missing.assertBody({ detail: 'Not found.' })
  })

  test('loginAs authenticates through the token guard', async ({ client }) => {
    const user = await makeUser()
    const response = await client.get(urlFor('api.v1.me')).loginAs(user)
    response.assertStatus(200)
    response.assertBodyContains({ user: { id: user.id, username: user.username } })
  })
})

test.group('Token authentication: the guard events over HTTP', (group) => {
  isolateEachTest(group)

  test('a listener registered between two requests hears the second; removed, not the third', async ({
    client,
    assert,
    cleanup,
  }) => {
    const user = await makeUser({ username: 'alice' })
    const { value } = await makeToken(user)
    const protectedWith = async (key: string, status: number) => {
      const response = await client
        .get(urlFor('api.v1.protected'))
        .header('authorization', `Token ${key}`)
      response.assertStatus(status)
    }
    const heard: string[] = []
    const onSucceeded = (event: { user: { username: string }; guardName: string }) =>
      void heard.push(`succeeded ${event.guardName} ${event.user.username}`)
    const onFailed = (event: { error: { message: string } }) =>
      void heard.push(`failed ${event.error.message}`)
    const listen = () => {
      emitter.on('access_tokens_auth:authentication_succeeded', onSucceeded)
      emitter.on('access_tokens_auth:authentication_failed', onFailed)
    }
    const stop = () => {
      emitter.off('access_tokens_auth:authentication_succeeded', onSucceeded)
      emitter.off('access_tokens_auth:authentication_failed', onFailed)
    }
    cleanup(stop)

    await protectedWith(value, 200)
    listen()
    await protectedWith(value, 200)
    const wrong = `${value.slice(0, -1)}${value.endsWith('x') ? 'y' : 'x'}`
    await protectedWith(wrong, 401)
    // emittery calls listeners after a turn of the microtask queue.
    await new Promise((resolve) => setImmediate(resolve))
    assert.deepEqual(heard, ['succeeded api alice', 'failed Invalid token.'])

    stop()
    await protectedWith(value, 200)
    await new Promise((resolve) => setImmediate(resolve))
    assert.lengthOf(heard, 2)
  })
})

test.group('Token authentication: the api middleware', (group) => {
  isolateEachTest(group)

  test('a refusal known without I/O is answered without checkUsing; a lookup goes through it', async ({
    client,
    assert,
    cleanup,
  }) => {
    const { value, user } = await makeToken()
    const checkUsing = countCheckUsing(cleanup)
    const wrong = `${value.slice(0, -1)}${value.endsWith('x') ? 'y' : 'x'}`
    for (const header of [`Token ${wrong}`, 'Token abc<def>', undefined]) {
      const request = client.get(urlFor('api.v1.me'))
      if (header) request.header('authorization', header)
      const response = await request
      response.assertStatus(401)
      response.assertHeader('www-authenticate', WWW_AUTHENTICATE)
    }
    assert.equal(checkUsing.calls, 0)

    // A key that needs a lookup (here: no cache inside the test's transaction) goes through
    // checkUsing, which waits for it; a cached key does not (tests/functional/token_cache.spec.ts).
    const response = await client.get(urlFor('api.v1.me')).header('authorization', `Token ${value}`)
    response.assertStatus(200)
    assert.equal(response.body().user.username, user.username)
    assert.equal(checkUsing.calls, 1)
  })
})
