import { test } from '@japa/runner'
import { HttpContextFactory } from '@adonisjs/core/factories/http'
import SecurityHeadersMiddleware, { securityHeaders } from '#middleware/security_headers_middleware'

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
})
