import { test } from '@japa/runner'
import { IncomingMessage } from 'node:http'
import { Socket } from 'node:net'
import { HttpContextFactory, ResponseFactory } from '@adonisjs/core/factories/http'
import SecurityHeadersMiddleware, {
  CSP_HEADER,
  dropStaticCsp,
  securityHeaders,
} from '#middleware/security_headers_middleware'
import { GatehouseResponse } from '#services/server_response'

/** A context whose Node response is the app server's (bin/server.ts, tests/bootstrap.ts). */
function appServerContext() {
  const req = new IncomingMessage(new Socket())
  const res = new GatehouseResponse(req)
  return new HttpContextFactory()
    .merge({ response: new ResponseFactory().merge({ req, res }).create() })
    .create()
}

test.group('Security headers (API and pages)', () => {
  test("shield's guards as configured: frame, HSTS, nosniff, plus the static CSP", ({ assert }) => {
    const ctx = new HttpContextFactory().create()
    securityHeaders({
      xFrame: { enabled: true, action: 'DENY' },
      hsts: { enabled: true, maxAge: '180 days' },
      contentTypeSniffing: { enabled: true },
    })(ctx)

    const headers = ctx.response.getHeaders()
    assert.equal(headers['x-frame-options'], 'DENY')
    assert.equal(headers['strict-transport-security'], `max-age=${180 * 24 * 3600}`)
    assert.equal(headers['x-content-type-options'], 'nosniff')
    assert.match(
      String(headers['content-security-policy']),
      /^default-src 'none'; frame-ancestors 'none'/
    )
  })

  test("none on Node's response itself: its writeHead keeps its fast path", ({ assert }) => {
    const ctx = new HttpContextFactory().create()
    new SecurityHeadersMiddleware().handle(ctx, (() => undefined) as never)

    // One raw setHeader and Node validates, lower-cases and stores every header again.
    assert.deepEqual(ctx.response.response.getHeaderNames(), [])
    assert.includeMembers(Object.keys(ctx.response.getHeaders()), [
      'content-security-policy',
      'x-frame-options',
      'x-content-type-options',
    ])
  })

  test('a guard disabled in the config sets nothing', ({ assert }) => {
    const ctx = new HttpContextFactory().create()
    securityHeaders({ hsts: { enabled: false } })(ctx)

    const headers = ctx.response.getHeaders()
    assert.notProperty(headers, 'strict-transport-security')
    assert.notProperty(headers, 'x-frame-options')
  })

  test("passes next()'s answer on as it is, without a promise of its own", ({ assert }) => {
    const ctx = new HttpContextFactory().create()
    const answer = { status: 'ok' }
    // A synchronous next() stays synchronous: no microtask turn per request for headers.
    const result = new SecurityHeadersMiddleware().handle(ctx, (() => answer) as never)

    assert.strictEqual(result, answer)
    assert.equal(ctx.response.getHeaders()['x-content-type-options'], 'nosniff')
  })

  test("on the app server's response: one fixed set, nothing left for Node to validate again", ({
    assert,
  }) => {
    const ctx = appServerContext()
    new SecurityHeadersMiddleware().handle(ctx, (() => undefined) as never)

    const res = ctx.response.response as GatehouseResponse
    // HSTS too in production (config/shield.ts).
    assert.includeMembers(res.fixedHeaders?.names ?? [], [
      'content-security-policy',
      'x-frame-options',
      'x-content-type-options',
    ])
    assert.notProperty(ctx.response.getHeaders(), 'x-frame-options')
    assert.deepEqual(res.getHeaderNames(), [])

    // A page (or an HTML error page) gives up the API's static policy and keeps the rest.
    dropStaticCsp(ctx.response)
    assert.isUndefined(res.fixedHeaders?.get(CSP_HEADER))
    assert.equal(res.fixedHeaders?.get('x-frame-options'), 'DENY')
  })
})
