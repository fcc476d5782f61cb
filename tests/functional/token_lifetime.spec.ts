import { test } from '@japa/runner'
import { urlFor } from '@adonisjs/core/services/url_builder'
import { DateTime } from 'luxon'
import gatehouse from '#config/gatehouse'
import AccessToken from '#models/access_token'
import tokenService from '#services/token_service'
import userService from '#services/user_service'
import { isolateEachTest } from '#tests/helpers/database'

const PASSWORD = 'correct horse battery'

async function expire(id: number) {
  const token = await AccessToken.findOrFail(id)
  token.expiresAt = DateTime.now().minus({ minutes: 1 })
  await token.save()
}

test.group('Token expiry', (group) => {
  isolateEachTest(group)

  test('new tokens get the configured default lifetime', async ({ client, assert }) => {
    const user = await userService.create({ username: 'alice', password: PASSWORD })
    const response = await client
      .post(urlFor('api.v1.tokens.store'))
      .loginAs(user)
      .json({ name: 'ci' })
    response.assertStatus(201)

    const expected = tokenService.expiresAt(undefined)
    assert.isNotNull(gatehouse.tokens.expiresIn)
    const expiresAt = DateTime.fromISO(response.body().token.expiresAt)
    assert.isBelow(Math.abs(expiresAt.diff(expected!, 'minutes').minutes), 1)
  })

  test('an expired token is refused, before its user is looked at', async ({ client }) => {
    const user = await userService.create({ username: 'alice', password: PASSWORD })
    const { token, value } = await tokenService.create(user, { name: 'old' })
    await expire(token.id)

    const response = await client.get(urlFor('api.v1.me')).header('authorization', `Token ${value}`)
    response.assertStatus(401)
    response.assertBody({ detail: 'Token has expired.' })

    // Inactive user and expired token: the expiry answers first.
    await userService.setActive(user, false)
    const again = await client.get(urlFor('api.v1.me')).header('authorization', `Bearer ${value}`)
    again.assertBody({ detail: 'Token has expired.' })
  })
})

test.group('Token rotation', (group) => {
  isolateEachTest(group)

  test('POST /api/v1/tokens/:id/rotate issues a successor; the old key works during the grace period', async ({
    client,
    assert,
  }) => {
    const user = await userService.create({ username: 'alice', password: PASSWORD })
    const created = await client
      .post(urlFor('api.v1.tokens.store'))
      .loginAs(user)
      .json({ name: 'deploy', abilities: ['tokens:read', 'tokens:write'], expiresIn: '7d' })
    const old = created.body().token

    const before = DateTime.now()
    const rotated = await client
      .post(urlFor('api.v1.tokens.rotate', { id: old.id }))
      .header('authorization', `Token ${old.value}`)
    rotated.assertStatus(201)
    const { token: successor, previous } = rotated.body()

    assert.notEqual(successor.value, old.value)
    assert.notEqual(successor.id, old.id)
    assert.equal(successor.name, 'deploy')
    assert.deepEqual(successor.abilities, ['tokens:read', 'tokens:write'])
    assert.notProperty(previous, 'value')
    // Same lifetime as the original, counted from now.
    const lifetime = DateTime.fromISO(successor.expiresAt).diff(before, 'days').days
    assert.isAbove(lifetime, 6.99)
    assert.isBelow(lifetime, 7.01)
    // The old key expires at the end of the grace period.
    const graceEnd = before.plus({ seconds: 60 })
    const oldExpiry = DateTime.fromISO(previous.expiresAt)
    assert.isTrue(oldExpiry > before && oldExpiry <= graceEnd.plus({ seconds: 5 }))

    for (const key of [old.value, successor.value]) {
      const me = await client.get(urlFor('api.v1.me')).header('authorization', `Token ${key}`)
      me.assertStatus(200)
    }
    const list = await client
      .get(urlFor('api.v1.tokens.index'))
      .header('authorization', `Token ${successor.value}`)
    assert.notInclude(JSON.stringify(list.body()), successor.value)
  })

  test('after the grace period the old key is refused', async ({ client, assert }) => {
    const user = await userService.create({ username: 'alice', password: PASSWORD })
    const { token, value } = await tokenService.create(user, { name: 'ci' })
    const result = await tokenService.rotate(user, token.id, '0s')
    assert.isTrue(result.ok)

    const old = await client.get(urlFor('api.v1.me')).header('authorization', `Token ${value}`)
    old.assertStatus(401)
    old.assertBody({ detail: 'Token has expired.' })
    if (!result.ok) return
    const fresh = await client
      .get(urlFor('api.v1.me'))
      .header('authorization', `Token ${result.successor.value}`)
    fresh.assertStatus(200)
  })

  test('rotating the get-or-create token makes login return the successor', async ({
    client,
    assert,
  }) => {
    const user = await userService.create({ username: 'alice', password: PASSWORD })
    const first = await client
      .post('/api-token-auth/')
      .json({ username: 'alice', password: PASSWORD })
    const key = first.body().token
    const [token] = await tokenService.list(user)

    const rotated = await client
      .post(urlFor('api.v1.tokens.rotate', { id: token.id }))
      .header('authorization', `Token ${key}`)
    rotated.assertStatus(201)
    assert.isTrue(rotated.body().token.getOrCreate)
    assert.isFalse(rotated.body().previous.getOrCreate)

    const again = await client
      .post('/api-token-auth/')
      .json({ username: 'alice', password: PASSWORD })
    assert.equal(again.body().token, rotated.body().token.value)

    // The old one no longer holds the get-or-create role: still one such token.
    const twice = await client
      .post(urlFor('api.v1.tokens.rotate', { id: token.id }))
      .header('authorization', `Token ${again.body().token}`)
    assert.oneOf(twice.status(), [201, 409])
    const live = await AccessToken.query()
      .where('tokenable_id', user.id)
      .whereNotNull('encrypted_secret')
    assert.lengthOf(live, 1)
  })

  test('rotation needs tokens:write, and cannot widen abilities', async ({ client }) => {
    const user = await userService.create({ username: 'alice', password: PASSWORD })
    const full = await tokenService.create(user, { name: 'full' })
    const reader = await tokenService.create(user, { name: 'reader', abilities: ['tokens:read'] })
    const writer = await tokenService.create(user, { name: 'writer', abilities: ['tokens:write'] })

    const denied = await client
      .post(urlFor('api.v1.tokens.rotate', { id: reader.token.id }))
      .header('authorization', `Token ${reader.value}`)
    denied.assertStatus(403)

    const widen = await client
      .post(urlFor('api.v1.tokens.rotate', { id: full.token.id }))
      .header('authorization', `Token ${writer.value}`)
    widen.assertStatus(403)
    widen.assertBody({ detail: 'A token cannot rotate a token with abilities it does not have.' })
  })

  test('unknown, foreign, malformed and expired ids are refused', async ({ client }) => {
    const alice = await userService.create({ username: 'alice', password: PASSWORD })
    const bob = await userService.create({ username: 'bob', password: PASSWORD })
    const bobs = await tokenService.create(bob, { name: 'bobs' })
    const expired = await tokenService.create(alice, { name: 'expired' })
    await expire(expired.token.id)

    for (const id of [bobs.token.id, 999999, 'abc', '1e3', '-1']) {
      const response = await client.post(urlFor('api.v1.tokens.rotate', { id: id })).loginAs(alice)
      response.assertStatus(404)
      response.assertBody({ detail: 'Not found.' })
    }
    const response = await client
      .post(urlFor('api.v1.tokens.rotate', { id: expired.token.id }))
      .loginAs(alice)
    response.assertStatus(400)
    response.assertBody({ detail: 'Token has expired and cannot be rotated.' })
  })
})
