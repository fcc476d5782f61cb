import { test } from '@japa/runner'
import { Secret } from '@adonisjs/core/helpers'
import { HttpContextFactory, RequestFactory } from '@adonisjs/core/factories/http'
import { EmitterFactory } from '@adonisjs/core/factories/events'
import app from '@adonisjs/core/services/app'
import User from '#models/user'
import AccessToken from '#models/access_token'
import {
  GuardListeners,
  TokenGuard,
  type TokenGuardEvents,
  type TokenGuardServices,
} from '#guards/token_guard'
import { requestArrived } from '#services/poll_phase'
import type { AuthenticationResult, ClientInfo } from '#services/token_authenticator'
import { TokenAuthenticationException } from '#exceptions/api_exceptions'

const KEY = 'gth_0123456789abcdefghijABCDEFGHIJ0123456789abcd'

/** A guard on a request with this Authorization header, with a stand-in authenticator. */
function guardFor(authorization: string | undefined, result: AuthenticationResult) {
  const request = new RequestFactory().create()
  if (authorization) request.request.headers.authorization = authorization
  request.request.headers['user-agent'] = 'unit-test'
  const ctx = new HttpContextFactory().merge({ request }).create()
  const emitter = new EmitterFactory().create(app)
  const seen: {
    key?: unknown
    client?: ReturnType<ClientInfo>
    expired?: [number, number]
  } = {}
  const services: TokenGuardServices = {
    authenticator: {
      async authenticate(key, client) {
        seen.key = key
        seen.client = client?.()
        return result
      },
    },
    issue: async () => new Secret(KEY),
    expiredRefused: async (tokenId, userId) => {
      seen.expired = [tokenId, userId]
    },
  }
  const events: Array<[keyof TokenGuardEvents, any]> = []
  for (const name of [
    'access_tokens_auth:authentication_attempted',
    'access_tokens_auth:authentication_succeeded',
    'access_tokens_auth:authentication_failed',
  ] as const) {
    emitter.on(name, (data: any) => void events.push([name, data]))
  }
  const guard = new TokenGuard('api', ctx, emitter as any, services)
  return { guard, seen, events, ctx }
}

function success(): AuthenticationResult {
  const user = new User()
  user.id = 7
  const token = new AccessToken()
  token.id = 3
  return { ok: true, user, token }
}

test.group('TokenGuard', () => {
  test('authenticates with the key wrapped in a Secret, and emits attempted + succeeded', async ({
    assert,
  }) => {
    const result = success()
    const { guard, seen, events } = guardFor(`Token ${KEY}`, result)
    const user = await guard.authenticate()
    assert.strictEqual(user, (result as any).user)
    assert.isTrue(guard.isAuthenticated)
    assert.instanceOf(seen.key, Secret)
    assert.equal((seen.key as Secret<string>).release(), KEY)
    assert.notInclude(String(seen.key), KEY)
    assert.equal(seen.client?.agent, 'unit-test')
    await new Promise((resolve) => setImmediate(resolve))
    assert.deepEqual(
      events.map(([name]) => name),
      ['access_tokens_auth:authentication_attempted', 'access_tokens_auth:authentication_succeeded']
    )
    assert.equal(events[1][1].guardName, 'api')
    assert.strictEqual(events[1][1].token, (result as any).token)
  })

  test('a refused key fails with DRF detail and emits failed', async ({ assert }) => {
    const { guard, events, seen } = guardFor(`Bearer ${KEY}`, {
      ok: false,
      reason: 'expired',
      tokenId: 3,
      userId: 7,
    })
    const error = await guard.authenticate().catch((e) => e)
    assert.instanceOf(error, TokenAuthenticationException)
    assert.equal(error.message, 'Token has expired.')
    assert.strictEqual(guard.failure, error)
    assert.deepEqual(seen.expired, [3, 7], 'an expired key is reported (audit log)')
    assert.isFalse(await guard.check())
    await new Promise((resolve) => setImmediate(resolve))
    assert.deepEqual(
      events.map(([name]) => name),
      ['access_tokens_auth:authentication_attempted', 'access_tokens_auth:authentication_failed']
    )
    assert.strictEqual(events[1][1].error, error)
  })

  test('no header: "not provided", without asking the authenticator', async ({ assert }) => {
    const { guard, seen } = guardFor(undefined, success())
    assert.isFalse(await guard.check())
    assert.equal(guard.failure?.message, 'Authentication credentials were not provided.')
    assert.isUndefined(seen.key)
    assert.throws(() => guard.getUserOrFail(), 'Authentication credentials were not provided.')
  })

  test('a malformed header: DRF message, authenticator not asked', async ({ assert }) => {
    const { guard, seen } = guardFor('Token a b', success())
    assert.isFalse(await guard.check())
    assert.equal(
      guard.failure?.message,
      'Invalid token header. Token string should not contain spaces.'
    )
    assert.isUndefined(seen.key)
  })

  test('authenticates once per request', async ({ assert }) => {
    let calls = 0
    const { guard } = guardFor(`Token ${KEY}`, success())
    const services = (guard as any).services as TokenGuardServices
    const inner = services.authenticator.authenticate
    services.authenticator.authenticate = (...args) => {
      calls++
      return inner(...args)
    }
    await guard.authenticate()
    await guard.authenticate()
    assert.equal(calls, 1)
  })

  test('a refusal is one frozen exception per message, with no stack frames', ({ assert }) => {
    const first = TokenAuthenticationException.because('Invalid token.')
    assert.strictEqual(TokenAuthenticationException.because('Invalid token.'), first)
    assert.notStrictEqual(TokenAuthenticationException.because('Token has expired.'), first)
    assert.isTrue(Object.isFrozen(first))
    assert.equal(first.status, 401)
    assert.notInclude(String(first.stack), '    at ')
    assert.isAbove(Error.stackTraceLimit, 0, 'the stack trace limit is restored')
  })

  test('check() answers false for a refusal, and rethrows anything else', async ({ assert }) => {
    const { guard } = guardFor(`Token ${KEY}`, success())
    const services = (guard as any).services as TokenGuardServices
    services.authenticator.authenticate = async () => {
      throw Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' })
    }
    await assert.rejects(() => guard.check(), 'connect ECONNREFUSED')
  })

  test('authenticateAsClient sends the issued key as a Token header', async ({ assert }) => {
    const { guard } = guardFor(undefined, success())
    const response = await guard.authenticateAsClient(new User())
    assert.deepEqual(response, { headers: { authorization: `Token ${KEY}` } })
  })

  test('listeners are asked of the emitter once per poll phase with arrivals, afresh outside one', async ({
    assert,
  }) => {
    const emitter = new EmitterFactory().create(app)
    let asked = 0
    const counting = {
      hasListeners(event: keyof TokenGuardEvents) {
        asked++
        return emitter.hasListeners(event)
      },
    }
    const listeners = new GuardListeners(counting as any)
    const event = 'access_tokens_auth:authentication_succeeded'
    const nextPhase = () => new Promise((resolve) => setImmediate(resolve))

    // No request arrived in this phase (a command, a direct call): asked every time.
    await nextPhase()
    assert.isFalse(listeners.has(event))
    emitter.on(event, () => {})
    assert.isTrue(listeners.has(event))
    assert.equal(asked, 2)

    // A request arrived: the phase's answer, asked once, whatever is registered meanwhile.
    await nextPhase()
    requestArrived()
    assert.isTrue(listeners.has(event))
    emitter.clearListeners(event)
    assert.isTrue(listeners.has(event))
    assert.equal(asked, 3)

    // The next phase with an arrival asks again.
    await nextPhase()
    requestArrived()
    assert.isFalse(listeners.has(event))
    assert.equal(asked, 4)
  })

  test('asked again while its lookup is pending, the same answer, not a refusal', async ({
    assert,
  }) => {
    const { guard } = guardFor(`Token ${KEY}`, success())
    const first = guard.attempt()
    assert.instanceOf(first, Promise)
    // The api middleware attempts first, then checkUsing() asks again: it must wait too.
    assert.strictEqual(guard.attempt(), first)
    assert.isTrue(await guard.check())
    assert.isTrue(await first)
    assert.equal(guard.getUserOrFail().id, 7)
  })

  test('an expired key answered without I/O waits for its refusal to be recorded, asked twice', async ({
    assert,
  }) => {
    const request = new RequestFactory().create()
    request.request.headers.authorization = `Token ${KEY}`
    const ctx = new HttpContextFactory().merge({ request }).create()
    let record: () => void = () => {}
    const guard = new TokenGuard('api', ctx, new EmitterFactory().create(app) as any, {
      authenticator: {
        authenticate: () => ({ ok: false, reason: 'expired', tokenId: 1, userId: 2 }),
      },
      issue: async () => new Secret(KEY),
      expiredRefused: () => new Promise<void>((resolve) => (record = resolve)),
    })
    const first = guard.attempt()
    assert.instanceOf(first, Promise)
    assert.strictEqual(guard.attempt(), first)
    record()
    assert.isFalse(await first)
    assert.equal(guard.failure?.message, 'Token has expired.')
  })
})
