import { test } from '@japa/runner'
import { IncomingMessage, ServerResponse } from 'node:http'
import { Socket } from 'node:net'
import app from '@adonisjs/core/services/app'
import testUtils from '@adonisjs/core/services/test_utils'
import gatehouse from '#config/gatehouse'
import HttpExceptionHandler from '#exceptions/handler'
import { isolateEachTest } from '#tests/helpers/database'
import { PASSWORD, makeToken, makeUser } from '#tests/helpers/factories'
import { rawRequest } from '#tests/helpers/http'

const JSON_TYPE = 'application/json'
const WWW_AUTHENTICATE = 'Token realm="api", Bearer realm="api"'
const auth = (key: string) => ({ Authorization: `Token ${key}` })

/** The headers a DRF client may read, exactly as sent (undefined when absent). */
function wire(response: { status(): number; header(name: string): string | undefined }) {
  return {
    status: response.status(),
    contentType: response.header('content-type'),
    allow: response.header('allow'),
  }
}

/** What `OPTIONS /api-token-auth/` answers on a default DRF server (SimpleMetadata). */
const OBTAIN_AUTH_TOKEN_OPTIONS = {
  name: 'Obtain Auth Token',
  description: '',
  renders: ['application/json'],
  parses: ['application/x-www-form-urlencoded', 'multipart/form-data', 'application/json'],
  actions: {
    POST: {
      username: { type: 'string', required: true, read_only: false, label: 'Username' },
      password: { type: 'string', required: true, read_only: false, label: 'Password' },
      token: { type: 'string', required: false, read_only: true, label: 'Token' },
    },
  },
}

test.group("DRF's wire format: /api-token-auth/", (group) => {
  isolateEachTest(group)

  test('200 → application/json, Allow: POST, OPTIONS', async ({ client, assert }) => {
    await makeUser({ username: 'alice' })
    const response = await client
      .post('/api-token-auth/')
      .json({ username: 'alice', password: PASSWORD })
    assert.deepEqual(wire(response), {
      status: 200,
      contentType: JSON_TYPE,
      allow: 'POST, OPTIONS',
    })
  })

  test('the same headers on form posts and without the trailing slash', async ({
    client,
    assert,
  }) => {
    await makeUser({ username: 'alice' })
    const response = await client
      .post('/api-token-auth')
      .form({ username: 'alice', password: PASSWORD })
    assert.deepEqual(wire(response), {
      status: 200,
      contentType: JSON_TYPE,
      allow: 'POST, OPTIONS',
    })
  })

  test('400 (bad credentials, missing fields, malformed JSON) → the same headers', async ({
    client,
    assert,
  }) => {
    const wrong = await client.post('/api-token-auth/').json({ username: 'x', password: 'y' })
    assert.deepEqual(wire(wrong), { status: 400, contentType: JSON_TYPE, allow: 'POST, OPTIONS' })
    assert.deepEqual(wrong.body(), {
      non_field_errors: ['Unable to log in with provided credentials.'],
    })

    const missing = await client.post('/api-token-auth/').json({})
    assert.deepEqual(wire(missing), { status: 400, contentType: JSON_TYPE, allow: 'POST, OPTIONS' })

    const malformed = await rawRequest('/api-token-auth/', {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: '{"username": ',
    })
    assert.equal(malformed.status, 400)
    assert.equal(malformed.headers.get('content-type'), JSON_TYPE)
    assert.equal(malformed.headers.get('allow'), 'POST, OPTIONS')
  })

  test('405 → Allow: POST, OPTIONS and a JSON detail', async ({ client, assert }) => {
    for (const method of ['get', 'put', 'patch', 'delete'] as const) {
      const response = await client[method]('/api-token-auth/')
      assert.deepEqual(wire(response), {
        status: 405,
        contentType: JSON_TYPE,
        allow: 'POST, OPTIONS',
      })
      assert.deepEqual(response.body(), { detail: `Method "${method.toUpperCase()}" not allowed.` })
    }
  })

  test('413 and 415 → application/json, Allow', async ({ client, assert }) => {
    const large = await client
      .post('/api-token-auth/')
      .json({ username: 'u'.repeat(70_000), password: 'p' })
    assert.deepEqual(wire(large), { status: 413, contentType: JSON_TYPE, allow: 'POST, OPTIONS' })

    const text = await rawRequest('/api-token-auth/', {
      method: 'POST',
      headers: { 'Content-Type': 'text/plain' },
      body: 'username=alice',
    })
    assert.equal(text.status, 415)
    assert.equal(text.headers.get('content-type'), JSON_TYPE)
    assert.equal(text.headers.get('allow'), 'POST, OPTIONS')
  })

  test('429 → application/json, Allow, Retry-After', async ({ client, assert }) => {
    await makeUser({ username: 'alice' })
    for (let i = 0; i < gatehouse.throttle.user.requests; i++) {
      await client.post('/api-token-auth/').json({ username: 'alice', password: `wrong-${i}` })
    }
    const blocked = await client
      .post('/api-token-auth/')
      .json({ username: 'alice', password: PASSWORD })
    assert.deepEqual(wire(blocked), { status: 429, contentType: JSON_TYPE, allow: 'POST, OPTIONS' })
    assert.isAbove(Number(blocked.header('retry-after')), 0)
  })

  test("OPTIONS → 200 with DRF's metadata for ObtainAuthToken", async ({ client, assert }) => {
    const response = await client.options('/api-token-auth/')
    assert.deepEqual(wire(response), {
      status: 200,
      contentType: JSON_TYPE,
      allow: 'POST, OPTIONS',
    })
    assert.deepEqual(response.body(), OBTAIN_AUTH_TOKEN_OPTIONS)
    // Key order as DRF renders it, for clients that compare the raw text.
    assert.equal(
      response.text(),
      '{"name":"Obtain Auth Token","description":"","renders":["application/json"],' +
        '"parses":["application/x-www-form-urlencoded","multipart/form-data","application/json"],' +
        '"actions":{"POST":{"username":{"type":"string","required":true,"read_only":false,' +
        '"label":"Username"},"password":{"type":"string","required":true,"read_only":false,' +
        '"label":"Password"},"token":{"type":"string","required":false,"read_only":true,' +
        '"label":"Token"}}}}'
    )
  })

  test('OPTIONS is not a sign-in: it never counts towards the throttle', async ({
    client,
    assert,
  }) => {
    for (let i = 0; i < gatehouse.throttle.ip.requests + 1; i++) {
      const response = await client.options('/api-token-auth/')
      assert.equal(response.status(), 200)
    }
    await makeUser({ username: 'alice' })
    const signIn = await client
      .post('/api-token-auth/')
      .json({ username: 'alice', password: PASSWORD })
    signIn.assertStatus(200)
  })
})

test.group("DRF's wire format: /api/v1", (group) => {
  isolateEachTest(group)

  test('200 and 201 → application/json and the route’s Allow', async ({ client, assert }) => {
    const { value } = await makeToken()
    const protectedRoute = await client.get('/api/v1/protected').headers(auth(value))
    assert.deepEqual(wire(protectedRoute), {
      status: 200,
      contentType: JSON_TYPE,
      allow: 'GET, HEAD, OPTIONS',
    })

    const me = await client.get('/api/v1/me').headers(auth(value))
    assert.deepEqual(wire(me), { status: 200, contentType: JSON_TYPE, allow: 'GET, HEAD, OPTIONS' })

    const created = await client.post('/api/v1/tokens').headers(auth(value)).json({ name: 'ci' })
    assert.deepEqual(wire(created), {
      status: 201,
      contentType: JSON_TYPE,
      allow: 'GET, POST, HEAD, OPTIONS',
    })

    const rotated = await client
      .post(`/api/v1/tokens/${created.body().token.id}/rotate`)
      .headers(auth(value))
    assert.deepEqual(wire(rotated), { status: 201, contentType: JSON_TYPE, allow: 'POST, OPTIONS' })
  })

  test('204 → no Content-Type (no body), as DRF', async ({ client, assert }) => {
    const { value, token } = await makeToken()
    const response = await client.delete(`/api/v1/tokens/${token.id}`).headers(auth(value))
    assert.deepEqual(wire(response), {
      status: 204,
      contentType: undefined,
      allow: 'DELETE, OPTIONS',
    })
  })

  test('401 → application/json, Allow, WWW-Authenticate unchanged', async ({ client, assert }) => {
    const missing = await client.get('/api/v1/protected')
    assert.deepEqual(wire(missing), {
      status: 401,
      contentType: JSON_TYPE,
      allow: 'GET, HEAD, OPTIONS',
    })
    assert.equal(missing.header('www-authenticate'), WWW_AUTHENTICATE)

    const invalid = await client.get('/api/v1/protected').headers(auth('0'.repeat(40)))
    assert.deepEqual(wire(invalid), {
      status: 401,
      contentType: JSON_TYPE,
      allow: 'GET, HEAD, OPTIONS',
    })
    assert.equal(invalid.header('www-authenticate'), WWW_AUTHENTICATE)
  })

  test('403 and 404 from a view → application/json, Allow', async ({ client, assert }) => {
    const { value } = await makeToken(undefined, ['profile'])
    const denied = await client.get('/api/v1/tokens').headers(auth(value))
    assert.deepEqual(wire(denied), {
      status: 403,
      contentType: JSON_TYPE,
      allow: 'GET, POST, HEAD, OPTIONS',
    })

    const { value: writer } = await makeToken()
    const missing = await client.delete('/api/v1/tokens/999999').headers(auth(writer))
    assert.deepEqual(wire(missing), {
      status: 404,
      contentType: JSON_TYPE,
      allow: 'DELETE, OPTIONS',
    })
  })

  test('404 on any unknown /api path → JSON, no Allow', async ({ client, assert }) => {
    for (const path of ['/api/v1/nope', '/api/nope', '/api/v2/me', '/api-token-auth/x']) {
      for (const method of ['get', 'post', 'options'] as const) {
        const response = await client[method](path)
        assert.deepEqual(wire(response), { status: 404, contentType: JSON_TYPE, allow: undefined })
        assert.deepEqual(response.body(), { detail: 'Not found.' })
      }
    }
  })

  test('405 → Allow with OPTIONS', async ({ client, assert }) => {
    const post = await client.post('/api/v1/protected')
    assert.deepEqual(wire(post), {
      status: 405,
      contentType: JSON_TYPE,
      allow: 'GET, HEAD, OPTIONS',
    })
    assert.deepEqual(post.body(), { detail: 'Method "POST" not allowed.' })

    const get = await client.get('/api/v1/auth/login')
    assert.deepEqual(wire(get), { status: 405, contentType: JSON_TYPE, allow: 'POST, OPTIONS' })

    const patch = await client.patch('/api/v1/tokens/1')
    assert.deepEqual(wire(patch), { status: 405, contentType: JSON_TYPE, allow: 'DELETE, OPTIONS' })
  })

  test('413, 415 and 422 → application/json, Allow', async ({ client, assert }) => {
    const large = await client.post('/api/v1/auth/login').json({ username: 'u'.repeat(70_000) })
    assert.deepEqual(wire(large), { status: 413, contentType: JSON_TYPE, allow: 'POST, OPTIONS' })

    const text = await rawRequest('/api/v1/auth/login', {
      method: 'POST',
      headers: { 'Content-Type': 'text/plain' },
      body: 'x',
    })
    assert.equal(text.status, 415)
    assert.equal(text.headers.get('content-type'), JSON_TYPE)
    assert.equal(text.headers.get('allow'), 'POST, OPTIONS')

    const invalid = await client.post('/api/v1/auth/login').json({ username: '' })
    assert.deepEqual(wire(invalid), { status: 422, contentType: JSON_TYPE, allow: 'POST, OPTIONS' })
  })

  test('OPTIONS on every API route → 200 with metadata, no token needed', async ({
    client,
    assert,
  }) => {
    const routes = {
      '/api/v1/auth/login': ['POST, OPTIONS', 'Auth Login'],
      '/api/v1/auth/logout': ['POST, OPTIONS', 'Auth Logout'],
      '/api/v1/auth/logout-all': ['POST, OPTIONS', 'Auth Logout All'],
      '/api/v1/me': ['GET, HEAD, OPTIONS', 'Me'],
      '/api/v1/protected': ['GET, HEAD, OPTIONS', 'Protected'],
      '/api/v1/tokens': ['GET, POST, HEAD, OPTIONS', 'Tokens'],
      '/api/v1/tokens/7': ['DELETE, OPTIONS', 'Tokens Instance'],
      '/api/v1/tokens/7/rotate': ['POST, OPTIONS', 'Tokens Rotate'],
    }
    for (const [path, [allow, name]] of Object.entries(routes)) {
      const response = await client.options(path)
      assert.deepEqual(wire(response), { status: 200, contentType: JSON_TYPE, allow }, path)
      assert.deepEqual(response.body(), {
        name,
        description: '',
        renders: ['application/json'],
        parses: ['application/json', 'application/x-www-form-urlencoded', 'multipart/form-data'],
      })
      assert.isUndefined(response.header('www-authenticate'))
    }
  })

  test('a CORS preflight is still answered by CORS (204), not by OPTIONS', async ({
    client,
    assert,
  }) => {
    const response = await client
      .options('/api-token-auth/')
      .header('origin', 'https://app.example.test')
      .header('access-control-request-method', 'POST')
    response.assertStatus(204)
    response.assertHeader('access-control-allow-origin', 'https://app.example.test')
    assert.equal(response.text(), '')
  })
})

/** An HttpContext for a request to `url`, to hand errors to the handler directly. */
async function apiContext(url: string) {
  const req = new IncomingMessage(new Socket())
  req.url = url
  req.method = 'GET'
  req.headers = { accept: 'text/html' }
  const res = new ServerResponse(req)
  return testUtils.createHttpContext({ req, res })
}

test.group("DRF's wire format: server errors", () => {
  test('503 and 500 → application/json', async ({ assert }) => {
    const handler = await app.container.make(HttpExceptionHandler)
    const refused = Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' })
    for (const [error, status] of [
      [refused, 503],
      [new Error('boom'), 500],
    ] as const) {
      for (const url of ['/api-token-auth/', '/api/v1/me']) {
        const ctx = await apiContext(url)
        await handler.handle(error, ctx)
        assert.equal(ctx.response.getStatus(), status)
        assert.equal(ctx.response.getHeader('content-type'), JSON_TYPE)
      }
    }
  })
})
