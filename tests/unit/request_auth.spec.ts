import { test } from '@japa/runner'
import { HttpContextFactory } from '@adonisjs/core/factories/http'
import { Authenticator } from '@adonisjs/auth'

test.group('ctx.auth (providers/request_auth_provider.ts)', () => {
  test("one Authenticator per request, built on first read, with config/auth.ts's guards", ({
    assert,
  }) => {
    const ctx = new HttpContextFactory().create()
    const other = new HttpContextFactory().create()

    const auth = ctx.auth
    assert.instanceOf(auth, Authenticator)
    assert.equal(auth.defaultGuard, 'api')
    // Every read of one request is the same Authenticator: what a guard attempted stays known.
    assert.strictEqual(ctx.auth, auth)
    assert.notStrictEqual(other.auth, auth)
    // Nothing enumerable added to the request's context.
    assert.notInclude(Object.keys(ctx), 'auth')
  })
})
