import { test } from '@japa/runner'
import { urlFor } from '@adonisjs/core/services/url_builder'
import { DateTime } from 'luxon'
import db from '@adonisjs/lucid/services/db'
import gatehouse from '#config/gatehouse'
import AccessToken from '#models/access_token'
import tokenService from '#services/token_service'
import { isolateEachTest } from '#tests/helpers/database'
import { PASSWORD, insertTokens, makeToken, makeUser } from '#tests/helpers/factories'
import { statusOf } from '#tests/helpers/http'
import type User from '#models/user'

const auth = (key: string) => ({ Authorization: `Token ${key}` })

async function countTokens(user: User) {
  const [{ total }] = await db
    .from(AccessToken.table)
    .where('tokenable_id', user.id)
    .count('* as total')
  return Number(total)
}

test.group('Security: logout-all needs tokens:write', (group) => {
  isolateEachTest(group)

  test('a token without tokens:write cannot revoke the other tokens (403, nothing revoked)', async ({
    client,
    assert,
  }) => {
    const { user, value } = await makeToken(undefined, ['profile:read'])
    const full = await makeToken(user, ['*'])

    const response = await client.post(urlFor('api.v1.auth.logout_all')).headers(auth(value))
    response.assertStatus(403)
    response.assertBody({ detail: 'You do not have permission to perform this action.' })
    assert.equal(await countTokens(user), 2)
    assert.equal(await statusOf(client.get(urlFor('api.v1.me')).headers(auth(full.value))), 200)
  })

  test('a tokens:write token can; any token can still log itself out', async ({
    client,
    assert,
  }) => {
    const { user, value } = await makeToken(undefined, ['profile:read'])
    const writer = await makeToken(user, ['tokens:write'])

    assert.equal(
      await statusOf(client.post(urlFor('api.v1.auth.logout')).headers(auth(value))),
      204
    )
    assert.equal(await statusOf(client.get(urlFor('api.v1.me')).headers(auth(value))), 401)
    assert.equal(await countTokens(user), 1)

    await makeToken(user, ['*'])
    const all = client.post(urlFor('api.v1.auth.logout_all')).headers(auth(writer.value))
    assert.equal(await statusOf(all), 204)
    assert.equal(await countTokens(user), 0)
  })
})

test.group('Security: a token cannot mint a token that outlives it', (group) => {
  isolateEachTest(group)

  test('created by a 1 h token, "never" is capped to the caller expiry, and the answer says so', async ({
    client,
    assert,
  }) => {
    const user = await makeUser()
    const caller = await tokenService.create(user, { name: 'short', expiresIn: '1h' })

    const response = await client
      .post(urlFor('api.v1.tokens.store'))
      .headers(auth(caller.value))
      .json({ name: 'forever', expiresIn: 'never' })
    response.assertStatus(201)
    const body = response.body()
    const callerExpiry = caller.token.expiresAt!.toMillis()
    // Databases store whole seconds (SQLite) or microseconds (PostgreSQL).
    assert.isAtMost(Math.abs(Date.parse(body.token.expiresAt) - callerExpiry), 1000)
    assert.isTrue(body.expiryCapped)
    assert.match(body.notice, /expiry of the token that made this request/)

    const stored = await AccessToken.findOrFail(body.token.id)
    assert.isAtMost(stored.expiresAt!.toMillis(), callerExpiry)
    assert.isAtMost(Math.abs(stored.expiresAt!.toMillis() - callerExpiry), 1000)
  })

  test('a shorter lifetime than the caller is kept as asked, not capped', async ({
    client,
    assert,
  }) => {
    const user = await makeUser()
    const caller = await tokenService.create(user, { name: 'week', expiresIn: '7d' })
    const response = await client
      .post(urlFor('api.v1.tokens.store'))
      .headers(auth(caller.value))
      .json({ name: 'hour', expiresIn: '1h' })
    response.assertStatus(201)
    assert.isFalse(response.body().expiryCapped)
    assert.notProperty(response.body(), 'notice')
    const hours = (Date.parse(response.body().token.expiresAt) - Date.now()) / 3_600_000
    assert.approximately(hours, 1, 0.05)
  })

  test('a token that never expires may create one that never expires', async ({
    client,
    assert,
  }) => {
    const user = await makeUser()
    const caller = await tokenService.create(user, { name: 'root', expiresIn: 'never' })
    const response = await client
      .post(urlFor('api.v1.tokens.store'))
      .headers(auth(caller.value))
      .json({ name: 'forever', expiresIn: 'never' })
    response.assertStatus(201)
    assert.isNull(response.body().token.expiresAt)
    assert.isFalse(response.body().expiryCapped)
  })

  test('rotating itself does not restart the lifetime: the successor keeps the old expiry', async ({
    client,
    assert,
  }) => {
    const user = await makeUser()
    const old = await tokenService.create(user, { name: 'deploy', expiresIn: '1h' })
    // Created 50 minutes ago: 10 minutes left.
    const createdAt = DateTime.now().minus({ minutes: 50 })
    const expiresAt = createdAt.plus({ hours: 1 })
    const format = db.connection().dialect.dateTimeFormat
    await db
      .from(AccessToken.table)
      .where('id', old.token.id)
      .update({ created_at: createdAt.toFormat(format), expires_at: expiresAt.toFormat(format) })

    const response = await client
      .post(urlFor('api.v1.tokens.rotate', { id: old.token.id }))
      .headers(auth(old.value))
    response.assertStatus(201)
    const successor = await AccessToken.findOrFail(response.body().token.id)
    assert.isAtMost(successor.expiresAt!.toMillis(), expiresAt.toMillis() + 1000)
    assert.isTrue(response.body().expiryCapped)
  })

  test('a rotation by another token is capped to that caller, not to the full lifetime', async ({
    client,
    assert,
  }) => {
    const user = await makeUser()
    const target = await tokenService.create(user, { name: 'long', expiresIn: 'never' })
    const caller = await tokenService.create(user, { name: 'short', expiresIn: '2h' })
    const response = await client
      .post(urlFor('api.v1.tokens.rotate', { id: target.token.id }))
      .headers(auth(caller.value))
    response.assertStatus(201)
    const expiresAt = Date.parse(response.body().token.expiresAt)
    assert.isAtMost(Math.abs(expiresAt - caller.token.expiresAt!.toMillis()), 1000)
    assert.isTrue(response.body().expiryCapped)
  })

  test('the CLI and the pages are not capped (service called without a caller token)', async ({
    assert,
  }) => {
    const user = await makeUser()
    const issued = await tokenService.create(user, { name: 'cli', expiresIn: 'never' })
    assert.isNull(issued.token.expiresAt)
    assert.isFalse(issued.expiryCapped)
  })
})

test.group('Security: exactly one rotation of a token succeeds', (group) => {
  isolateEachTest(group)

  for (const kind of ['named', 'get-or-create'] as const) {
    test(`parallel rotations of a ${kind} token: one 201, the rest 409`, async ({
      client,
      assert,
    }) => {
      const user = await makeUser()
      const target =
        kind === 'named'
          ? await tokenService.create(user, { name: 'ci' })
          : await tokenService.getOrCreate(user)
      const caller = await tokenService.create(user, { name: 'admin', expiresIn: 'never' })

      const responses = await Promise.all(
        Array.from({ length: 5 }, () =>
          client
            .post(urlFor('api.v1.tokens.rotate', { id: target.token.id }))
            .headers(auth(caller.value))
        )
      )
      const statuses = responses.map((response) => response.status()).sort()
      assert.deepEqual(statuses, [201, 409, 409, 409, 409])
      for (const response of responses.filter((r) => r.status() === 409)) {
        assert.deepEqual(response.body(), { detail: 'Token has already been rotated.' })
      }
      // The target, its one successor and the caller: no extra live key.
      assert.equal(await countTokens(user), 3)
      const retrievable = await AccessToken.query()
        .where('tokenable_id', user.id)
        .whereNotNull('encrypted_secret')
      assert.lengthOf(retrievable, kind === 'get-or-create' ? 1 : 0)
    })
  }

  test('a later rotation, during the grace period or after it, is a 409', async ({
    client,
    assert,
  }) => {
    const user = await makeUser()
    const { token, value } = await tokenService.getOrCreate(user)

    const first = await client
      .post(urlFor('api.v1.tokens.rotate', { id: token.id }))
      .headers(auth(value))
    first.assertStatus(201)
    // The old key still works (grace period) but cannot rotate again.
    const again = await client
      .post(urlFor('api.v1.tokens.rotate', { id: token.id }))
      .headers(auth(value))
    again.assertStatus(409)
    again.assertBody({ detail: 'Token has already been rotated.' })

    // After the grace period: still "already rotated", from the successor.
    await db
      .from(AccessToken.table)
      .where('id', token.id)
      .update({
        expires_at: DateTime.now()
          .minus({ minutes: 1 })
          .toFormat(db.connection().dialect.dateTimeFormat),
      })
    const successor = first.body().token.value
    const late = await client
      .post(urlFor('api.v1.tokens.rotate', { id: token.id }))
      .headers(auth(successor))
    late.assertStatus(409)
    assert.equal(await countTokens(user), 2)
  })
})

test.group('Security: tokens.maxPerUser', (group) => {
  isolateEachTest(group)

  test('creating beyond the limit → 409 with a clear detail, nothing created', async ({
    client,
    assert,
  }) => {
    const max = gatehouse.tokens.maxPerUser
    const { user, value } = await makeToken(undefined, ['*'])
    await insertTokens(user, max - 1)

    const response = await client
      .post(urlFor('api.v1.tokens.store'))
      .headers(auth(value))
      .json({ name: 'one' })
    response.assertStatus(409)
    assert.equal(
      response.body().detail,
      `You already have ${max} live tokens, the most one user may hold. Revoke a token you no longer use, then try again.`
    )
    assert.equal(await countTokens(user), max)
  })

  test('expired tokens do not count; revoking one makes room', async ({ client, assert }) => {
    const max = gatehouse.tokens.maxPerUser
    const { user, value } = await makeToken(undefined, ['*'])
    await insertTokens(user, 10, DateTime.now().minus({ days: 1 }))
    await insertTokens(user, max - 2)

    const one = await client
      .post(urlFor('api.v1.tokens.store'))
      .headers(auth(value))
      .json({ name: 'last' })
    one.assertStatus(201)
    const over = await client
      .post(urlFor('api.v1.tokens.store'))
      .headers(auth(value))
      .json({ name: 'over' })
    over.assertStatus(409)

    const destroy = client
      .delete(urlFor('api.v1.tokens.destroy', { id: one.body().token.id }))
      .headers(auth(value))
    assert.equal(await statusOf(destroy), 204)
    const again = await client
      .post(urlFor('api.v1.tokens.store'))
      .headers(auth(value))
      .json({ name: 'again' })
    again.assertStatus(201)
  })

  test('sign-in that would create a token at the limit → 409; an existing live one is returned', async ({
    client,
    assert,
  }) => {
    const max = gatehouse.tokens.maxPerUser
    const user = await makeUser({ username: 'alice' })
    const existing = await tokenService.getOrCreate(user)
    await insertTokens(user, max - 1)

    // Get-or-create of a live token is not creating.
    const drf = await client
      .post('/api-token-auth/')
      .json({ username: 'alice', password: PASSWORD })
    drf.assertStatus(200)
    assert.equal(drf.body().token, existing.value)

    const named = await client
      .post(urlFor('api.v1.auth.login'))
      .json({ username: 'alice', password: PASSWORD, name: 'laptop' })
    named.assertStatus(409)
    assert.include(named.body().detail, `already have ${max} live tokens`)
    assert.equal(await countTokens(user), max)
  })

  test('parallel creations stop at the limit', async ({ client, assert }) => {
    const max = gatehouse.tokens.maxPerUser
    const { user, value } = await makeToken(undefined, ['*'])
    await insertTokens(user, max - 3)

    const responses = await Promise.all(
      Array.from({ length: 6 }, (_, index) =>
        client
          .post(urlFor('api.v1.tokens.store'))
          .headers(auth(value))
          .json({ name: `p${index}` })
      )
    )
    const statuses = responses.map((response) => response.status()).sort()
    assert.deepEqual(statuses, [201, 201, 409, 409, 409, 409])
    assert.equal(await countTokens(user), max)
  })
})

test.group('Security: answers that carry a key are not cached', (group) => {
  isolateEachTest(group)

  test('POST /api-token-auth/, login, create and rotate send Cache-Control: no-store', async ({
    client,
  }) => {
    await makeUser({ username: 'alice' })
    const drf = await client
      .post('/api-token-auth/')
      .json({ username: 'alice', password: PASSWORD })
    drf.assertStatus(200)
    drf.assertHeader('cache-control', 'no-store')

    const login = await client
      .post(urlFor('api.v1.auth.login'))
      .json({ username: 'alice', password: PASSWORD })
    login.assertStatus(200)
    login.assertHeader('cache-control', 'no-store')

    const key = login.body().token.value
    const created = await client
      .post(urlFor('api.v1.tokens.store'))
      .headers(auth(key))
      .json({ name: 'ci' })
    created.assertStatus(201)
    created.assertHeader('cache-control', 'no-store')

    const rotated = await client
      .post(urlFor('api.v1.tokens.rotate', { id: created.body().token.id }))
      .headers(auth(key))
    rotated.assertStatus(201)
    rotated.assertHeader('cache-control', 'no-store')
  })
})
