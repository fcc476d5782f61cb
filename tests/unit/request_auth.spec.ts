import { test } from '@japa/runner'
import { HttpContextFactory } from '@adonisjs/core/factories/http'
import { Authenticator } from '@adonisjs/auth'
import { RequestAuthenticator } from '#guards/request_authenticator'

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

/** A guard answering as told, with the members the Authenticator reads. */
function fakeGuard(name: string, accepts: boolean) {
  const user = { name }
  return {
    driverName: name,
    authenticationAttempted: false,
    isAuthenticated: false,
    user: undefined as { name: string } | undefined,
    async check() {
      this.authenticationAttempted = true
      this.isAuthenticated = accepts
      this.user = accepts ? user : undefined
      return accepts
    },
    getUserOrFail() {
      if (!this.user) throw new Error(`${name}: nobody`)
      return this.user
    },
  }
}

test.group('RequestAuthenticator (app/guards/request_authenticator.ts)', () => {
  test('accepted(name) answers for that guard at once; a later attempt takes over', async ({
    assert,
  }) => {
    const api = fakeGuard('api', true)
    const web = fakeGuard('web', true)
    const auth = new RequestAuthenticator(new HttpContextFactory().create(), {
      default: 'api',
      guards: { api: () => api as any, web: () => web as any },
    })
    assert.isFalse(auth.isAuthenticated)
    assert.isUndefined(auth.authenticatedViaGuard)

    // What the api middleware does once the token guard accepted a key without I/O.
    await api.check()
    auth.accepted('api')
    assert.equal(auth.authenticatedViaGuard, 'api')
    assert.isTrue(auth.authenticationAttempted)
    assert.isTrue(auth.isAuthenticated)
    assert.deepEqual(auth.user, { name: 'api' })
    assert.deepEqual(auth.getUserOrFail(), { name: 'api' })

    // The last attempt wins, as with the framework's own bookkeeping.
    assert.isTrue(await auth.checkUsing(['web']))
    assert.equal(auth.authenticatedViaGuard, 'web')
    assert.deepEqual(auth.user, { name: 'web' })
    assert.deepEqual(auth.getUserOrFail(), { name: 'web' })
  })

  test('ctx.auth is one', ({ assert }) => {
    assert.instanceOf(new HttpContextFactory().create().auth, RequestAuthenticator)
  })
})
