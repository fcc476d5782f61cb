import { IncomingMessage, ServerResponse } from 'node:http'
import { Socket } from 'node:net'
import { test } from '@japa/runner'
import testUtils from '@adonisjs/core/services/test_utils'
import HttpExceptionHandler from '#exceptions/handler'
import { TokenAuthenticationException, WWW_AUTHENTICATE } from '#exceptions/api_exceptions'

async function apiContext(headers: Record<string, string>) {
  const req = new IncomingMessage(new Socket())
  req.method = 'POST'
  req.url = '/api/v1/auth/login'
  req.headers = headers
  return testUtils.createHttpContext({ req, res: new ServerResponse(req) })
}

/**
 * A stack overflow while a body is parsed or copied (the body parser deep-
 * clones it; how deep it gets before overflowing depends on JIT state, so an
 * HTTP test cannot hit it every time) is the client's input: 400, not 500.
 */
test.group('Exception handler', () => {
  test('a stack overflow on a request with a body is a 400 about nesting', async ({ assert }) => {
    const ctx = await apiContext({ 'content-type': 'application/json', 'content-length': '9000' })
    await new HttpExceptionHandler().handle(new RangeError('Maximum call stack size exceeded'), ctx)
    assert.equal(ctx.response.getStatus(), 400)
    assert.deepEqual(ctx.response.getBody(), {
      detail: 'JSON parse error - the body is nested too deeply.',
    })
  })

  test('other errors are still 500, without their message', async ({ assert }) => {
    const ctx = await apiContext({ 'content-type': 'application/json', 'content-length': '9' })
    await new HttpExceptionHandler().handle(new RangeError('Invalid array length'), ctx)
    assert.equal(ctx.response.getStatus(), 500)
    assert.deepEqual(ctx.response.getBody(), { detail: 'A server error occurred.' })
  })

  test('a token refusal thrown past the api middleware: DRF 401 with its headers', async ({
    assert,
  }) => {
    const ctx = await apiContext({})
    const refusal = TokenAuthenticationException.because('Invalid token.')
    await new HttpExceptionHandler().handle(refusal, ctx)
    assert.equal(ctx.response.getStatus(), 401)
    assert.equal(ctx.response.getBody(), '{"detail":"Invalid token."}')
    assert.equal(ctx.response.getHeader('www-authenticate'), WWW_AUTHENTICATE)
    assert.equal(ctx.response.getHeader('content-type'), 'application/json')
  })

  test('a refusal answered where no Content-Type is set yet: JSON, as an object body would be', async ({
    assert,
  }) => {
    const ctx = await apiContext({})
    const detail = 'Authentication credentials were not provided. "quoted" \\ ünïcode'
    TokenAuthenticationException.because(detail).respond(ctx.response)
    assert.equal(ctx.response.getStatus(), 401)
    assert.deepEqual(JSON.parse(ctx.response.getBody()), { detail })
    assert.equal(ctx.response.getHeader('content-type'), 'application/json; charset=utf-8')
    assert.equal(ctx.response.getHeader('www-authenticate'), WWW_AUTHENTICATE)
  })
})
