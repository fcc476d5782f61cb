import { test } from '@japa/runner'
import { IncomingMessage, ServerResponse } from 'node:http'
import { Socket } from 'node:net'
import app from '@adonisjs/core/services/app'
import testUtils from '@adonisjs/core/services/test_utils'
import HttpExceptionHandler from '#exceptions/handler'

/** An HttpContext for a request to `url`, to hand errors to the handler directly. */
async function apiContext(url: string) {
  const req = new IncomingMessage(new Socket())
  req.url = url
  req.method = 'GET'
  req.headers = { accept: 'text/html' }
  const res = new ServerResponse(req)
  return testUtils.createHttpContext({ req, res })
}

test.group('API errors', () => {
  test('an unexpected error → 500 JSON detail, no message or stack', async ({ assert }) => {
    const ctx = await apiContext('/api/v1/me')
    const handler = await app.container.make(HttpExceptionHandler)
    await handler.handle(new Error('secret internals at /srv/app/x.ts:12'), ctx)

    assert.equal(ctx.response.getStatus(), 500)
    const body = JSON.stringify(ctx.response.getBody())
    assert.equal(body, '{"detail":"A server error occurred."}')
  })

  test('a database that does not answer → 503 with Retry-After', async ({ assert }) => {
    const ctx = await apiContext('/api-token-auth/')
    const handler = await app.container.make(HttpExceptionHandler)
    const refused = Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:5432'), {
      code: 'ECONNREFUSED',
    })
    await handler.handle(refused, ctx)

    assert.equal(ctx.response.getStatus(), 503)
    assert.equal(ctx.response.getHeader('retry-after'), '5')
    assert.deepEqual(ctx.response.getBody(), {
      detail: 'Service temporarily unavailable: the database is not answering.',
    })
  })
})
