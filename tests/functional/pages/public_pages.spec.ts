import { test } from '@japa/runner'
import { urlFor } from '@adonisjs/core/services/url_builder'
import app from '@adonisjs/core/services/app'
import testUtils from '@adonisjs/core/services/test_utils'
import HttpExceptionHandler from '#exceptions/handler'
import tokenService from '#services/token_service'
import { isolateEachTest } from '#tests/helpers/database'
import { makePageUser } from './pages_helpers.js'

test.group('Pages: home, static files, error pages', (group) => {
  isolateEachTest(group)

  test('/ says what Gatehouse is to a guest, with a sign-in link', async ({ client }) => {
    const response = await client.get(urlFor('home'))
    response.assertStatus(200)
    response.assertHeader('content-type', 'text/html; charset=utf-8')
    response.assertTextIncludes('Token authentication for AdonisJS')
    response.assertTextIncludes('Not signed in')
    response.assertTextIncludes('href="/login"')
  })

  test('/ shows who is signed in', async ({ client }) => {
    const user = await makePageUser({ username: 'ada' })
    const response = await client.get(urlFor('home')).withGuard('web').loginAs(user)
    response.assertStatus(200)
    response.assertTextIncludes('Signed in as <strong>ada</strong>')
    response.assertTextIncludes('action="/logout"')
  })

  test('the stylesheet is served from public/', async ({ client }) => {
    const response = await client.get('/app.css')
    response.assertStatus(200)
    response.assertHeader('content-type', 'text/css; charset=utf-8')
    response.assertTextIncludes('--primary')
  })

  test('an unknown page gets the friendly 404 page', async ({ client, assert }) => {
    const response = await client.get('/no-such-page').header('accept', 'text/html')
    response.assertStatus(404)
    response.assertTextIncludes('Page not found')
    response.assertTextIncludes('href="/"')
    assert.notInclude(response.text(), 'E_ROUTE_NOT_FOUND')
    // No route, so no session: the page does not claim anyone is signed out.
    assert.notInclude(response.text(), 'Not signed in')
  })

  test('an unknown API path keeps its JSON 404', async ({ client }) => {
    const response = await client.get('/api/v1/no-such-thing').header('accept', 'text/html')
    response.assertStatus(404)
    response.assertBody({ detail: 'Not found.' })
  })

  test('an unknown address gets the security headers; its HTML 404 page keeps its stylesheet', async ({
    client,
    assert,
  }) => {
    const page = await client.get('/no-such-page').header('accept', 'text/html')
    page.assertStatus(404)
    page.assertHeader('x-frame-options', 'DENY')
    page.assertHeader('x-content-type-options', 'nosniff')
    // The API's `default-src 'none'` would block the page's /app.css.
    assert.notProperty(page.headers(), 'content-security-policy')

    const api = await client.get('/api/v1/no-such-thing')
    api.assertStatus(404)
    api.assertHeader('x-frame-options', 'DENY')
    assert.match(api.header('content-security-policy') ?? '', /^default-src 'none';/)
  })

  test('a server error on a page renders the friendly 500 page, no message or stack', async ({
    assert,
  }) => {
    const ctx = await testUtils.createHttpContext()
    ctx.request.request.headers.accept = 'text/html'
    const handler = await app.container.make(HttpExceptionHandler)

    await handler.handle(new Error('secret internals at /srv/app/x.ts:12'), ctx)

    assert.equal(ctx.response.getStatus(), 500)
    const body = String(ctx.response.getBody())
    assert.include(body, 'Something went wrong on our side')
    assert.notInclude(body, 'secret internals')
    assert.notInclude(body, 'x.ts')
  })
})

test.group('Pages: security headers and cookies', (group) => {
  isolateEachTest(group)

  test('pages get CSP with a nonce, frame-ancestors, X-Frame-Options and nosniff', async ({
    client,
    assert,
  }) => {
    const response = await client.get(urlFor('login'))
    response.assertStatus(200)
    response.assertHeader('x-frame-options', 'DENY')
    response.assertHeader('x-content-type-options', 'nosniff')
    const csp = response.header('content-security-policy') ?? ''
    assert.include(csp, "frame-ancestors 'none'")
    assert.include(csp, "default-src 'self'")
    assert.match(csp, /script-src 'self' 'nonce-[\w-]+'/)
  })

  test('the session cookie is httpOnly and SameSite=Lax', async ({ client, assert }) => {
    const response = await client.get(urlFor('login'))
    const setCookie: string[] = [response.headers()['set-cookie'] ?? []].flat()
    const cookie = setCookie.find((value) => value.startsWith('gatehouse-session='))
    assert.exists(cookie)
    assert.match(cookie!, /HttpOnly/i)
    assert.match(cookie!, /SameSite=Lax/i)
  })

  test('API responses get the security headers but never a cookie', async ({ client, assert }) => {
    const user = await makePageUser()
    const { value } = await tokenService.create(user, { name: 'cli' })

    const response = await client
      .get(urlFor('api.v1.protected'))
      .header('authorization', `Token ${value}`)
    response.assertStatus(200)
    response.assertHeader('x-frame-options', 'DENY')
    response.assertHeader('x-content-type-options', 'nosniff')
    assert.match(response.header('content-security-policy') ?? '', /^default-src 'none';/)
    assert.notProperty(response.headers(), 'set-cookie')
  })

  test('the JSON API needs no CSRF token: POST /api-token-auth/ works with a body only', async ({
    client,
    assert,
  }) => {
    const user = await makePageUser()
    const response = await client
      .post('/api-token-auth/')
      .json({ username: user.username, password: 'correct horse battery' })
    response.assertStatus(200)
    assert.match(response.body().token, /^gth_/)
    assert.notProperty(response.headers(), 'set-cookie')
  })
})
