import { test } from '@japa/runner'
import app from '@adonisjs/core/services/app'
import { HttpContextFactory } from '@adonisjs/core/factories/http'
import { defineConfig } from '@adonisjs/cors'
import CorsMiddleware from '@adonisjs/cors/cors_middleware'
import CrossOriginMiddleware from '#middleware/cors_middleware'

/** CORS_ORIGINS=https://app.example.test in .env.test. */
const ALLOWED = 'https://app.example.test'

test.group('CORS middleware (asked only for requests with an Origin)', () => {
  test('@adonisjs/cors leaves a request without an Origin untouched, whatever it allows', async ({
    assert,
  }) => {
    // What CrossOriginMiddleware relies on to skip it: should a new @adonisjs/cors answer such
    // a request differently (a `Vary: Origin` on every response, say), this fails.
    const everyOrigin = new CorsMiddleware(
      defineConfig({
        enabled: true,
        origin: true,
        methods: ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE'],
        headers: true,
        exposeHeaders: ['x-request-id'],
        credentials: true,
        maxAge: 600,
      })
    )
    for (const cors of [everyOrigin, await app.container.make(CorsMiddleware)]) {
      for (const method of ['GET', 'OPTIONS']) {
        const ctx = new HttpContextFactory().create()
        ctx.request.request.method = method
        let called = false
        await cors.handle(ctx, async () => {
          called = true
        })
        assert.isTrue(called, method)
        assert.deepEqual(ctx.response.getHeaders(), {}, method)
      }
    }
  })

  test("without an Origin, next()'s answer as it is, without a promise of its own", ({
    assert,
  }) => {
    const ctx = new HttpContextFactory().create()
    const answer = { status: 'ok' }
    const result = new CrossOriginMiddleware().handle(ctx, (() => answer) as never)
    assert.strictEqual(result, answer)
    assert.deepEqual(ctx.response.getHeaders(), {})
  })

  test("with an Origin, @adonisjs/cors answers (config/cors.ts's origins)", async ({ assert }) => {
    const ctx = new HttpContextFactory().create()
    // The app's container, as a request's has: CorsMiddleware comes from the CORS provider.
    ctx.containerResolver = app.container.createResolver()
    ctx.request.request.headers.origin = ALLOWED
    let called = false
    await new CrossOriginMiddleware().handle(ctx, (async () => {
      called = true
    }) as never)
    assert.isTrue(called)
    assert.equal(ctx.response.getHeader('access-control-allow-origin'), ALLOWED)
  })
})
