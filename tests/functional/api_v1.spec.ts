import { test } from '@japa/runner'
import { urlFor } from '@adonisjs/core/services/url_builder'
import db from '@adonisjs/lucid/services/db'
import User from '#models/user'
import { isolateEachTest } from '#tests/helpers/database'
import { PASSWORD, makeToken, makeUser } from '#tests/helpers/factories'
import { statusOf } from '#tests/helpers/http'

const auth = (key: string) => ({ Authorization: `Bearer ${key}` })

test.group('API v1: login and logout', (group) => {
  isolateEachTest(group)

  test('login get-or-creates the named token and records the login', async ({ client, assert }) => {
    const user = await makeUser({ username: 'alice' })
    const first = await client
      .post(urlFor('api.v1.auth.login'))
      .json({ username: 'alice', password: PASSWORD })
    first.assertStatus(200)
    const body = first.body()
    assert.containsSubset(body, {
      token: { type: 'bearer', name: 'default', abilities: ['*'], lastUsedAt: null },
      user: { id: user.id, username: 'alice' },
    })
    assert.properties(body.token, ['value', 'expiresAt', 'createdAt'])
    assert.notProperty(body.user, 'password')

    const second = await client
      .post(urlFor('api.v1.auth.login'))
      .json({ username: 'alice', password: PASSWORD })
    assert.equal(second.body().token.value, body.token.value)

    const cli = await client
      .post(urlFor('api.v1.auth.login'))
      .json({ username: 'alice', password: PASSWORD, name: 'cli' })
    assert.equal(cli.body().token.name, 'cli')
    assert.notEqual(cli.body().token.value, body.token.value)

    const drf = await client
      .post('/api-token-auth/')
      .json({ username: 'alice', password: PASSWORD })
    assert.equal(drf.body().token, body.token.value, 'DRF endpoint shares the default token')

    await user.refresh()
    assert.isNotNull(user.lastLoginAt)
  })

  test('bad credentials → 400 with a detail, nothing issued', async ({ client, assert }) => {
    await makeUser({ username: 'alice' })
    const response = await client
      .post(urlFor('api.v1.auth.login'))
      .json({ username: 'alice', password: 'not the password' })
    response.assertStatus(400)
    response.assertBody({ detail: 'Unable to log in with provided credentials.' })
    const [{ total }] = await db.from('auth_access_tokens').count('* as total')
    assert.equal(Number(total), 0)
  })

  test('invalid input → 422 with a detail and the field errors', async ({ client, assert }) => {
    const response = await client
      .post(urlFor('api.v1.auth.login'))
      .json({ username: '', name: 'x'.repeat(101) })
    response.assertStatus(422)
    const body = response.body()
    assert.isString(body.detail)
    assert.properties(body.errors, ['username', 'password', 'name'])
  })

  test('logout revokes only the token of the request', async ({ client, assert }) => {
    const { user, value } = await makeToken()
    const other = await makeToken(user)

    const response = await client.post(urlFor('api.v1.auth.logout')).headers(auth(value))
    response.assertStatus(204)
    assert.equal(await statusOf(client.get(urlFor('api.v1.me')).headers(auth(value))), 401)
    assert.equal(await statusOf(client.get(urlFor('api.v1.me')).headers(auth(other.value))), 200)
  })

  test('logout-all revokes every token of the user, not of others', async ({ client, assert }) => {
    const { user, value } = await makeToken()
    const second = await makeToken(user)
    const stranger = await makeToken()

    assert.equal(
      await statusOf(client.post(urlFor('api.v1.auth.logout_all')).headers(auth(value))),
      204
    )
    assert.equal(await statusOf(client.get(urlFor('api.v1.me')).headers(auth(value))), 401)
    assert.equal(await statusOf(client.get(urlFor('api.v1.me')).headers(auth(second.value))), 401)
    assert.equal(await statusOf(client.get(urlFor('api.v1.me')).headers(auth(stranger.value))), 200)
  })

  test('me and protected answer with the user', async ({ client }) => {
    const { user, value } = await makeToken()
    const me = await client.get(urlFor('api.v1.me')).headers(auth(value))
    me.assertBodyContains({ user: { id: user.id, username: user.username } })
    const prot = await client.get(urlFor('api.v1.protected')).headers(auth(value))
    prot.assertBodyContains({ detail: 'Authenticated user only', user: { id: user.id } })
  })
})

test.group('API v1: tokens', (group) => {
  isolateEachTest(group)

  test('list shows the user own tokens without any secret', async ({ client, assert }) => {
    const { user, value } = await makeToken()
    await makeToken(user)
    await makeToken()

    const response = await client.get(urlFor('api.v1.tokens.index')).headers(auth(value))
    response.assertStatus(200)
    const tokens = response.body().tokens
    assert.lengthOf(tokens, 2)
    for (const token of tokens) {
      assert.notProperty(token, 'value')
      assert.notProperty(token, 'hash')
      assert.notProperty(token, 'encryptedSecret')
      assert.properties(token, ['id', 'name', 'abilities', 'status', 'lastUsedAt', 'expiresAt'])
    }
    assert.notInclude(JSON.stringify(response.body()), value)
  })

  test('create shows the value once; it works; the list never shows it', async ({
    client,
    assert,
  }) => {
    const { value } = await makeToken()
    const created = await client
      .post(urlFor('api.v1.tokens.store'))
      .headers(auth(value))
      .json({ name: 'ci', abilities: ['tokens:read'], expiresIn: '2h' })
    created.assertStatus(201)
    const token = created.body().token
    assert.containsSubset(token, { name: 'ci', abilities: ['tokens:read'], status: 'live' })
    assert.match(token.value, /^gth_/)
    const hours = (Date.parse(token.expiresAt) - Date.now()) / 3_600_000
    assert.approximately(hours, 2, 0.05)

    assert.equal(
      await statusOf(client.get(urlFor('api.v1.tokens.index')).headers(auth(token.value))),
      200
    )
    const mint = client
      .post(urlFor('api.v1.tokens.store'))
      .headers(auth(token.value))
      .json({ name: 'x' })
    assert.equal(await statusOf(mint), 403)

    const list = await client.get(urlFor('api.v1.tokens.index')).headers(auth(value))
    assert.notInclude(JSON.stringify(list.body()), token.value)
  })

  test('a token cannot mint a token with more abilities than it has', async ({
    client,
    assert,
  }) => {
    const { value } = await makeToken(undefined, ['tokens:write'])
    const response = await client
      .post(urlFor('api.v1.tokens.store'))
      .headers(auth(value))
      .json({ name: 'escalate', abilities: ['*'] })
    response.assertStatus(403)
    assert.match(response.body().detail, /abilities/)

    const inherited = await client
      .post(urlFor('api.v1.tokens.store'))
      .headers(auth(value))
      .json({ name: 'same' })
    inherited.assertStatus(201)
    assert.deepEqual(inherited.body().token.abilities, ['tokens:write'])
  })

  test('create with bad input → 422 with a clear detail, nothing created', async ({
    client,
    assert,
  }) => {
    const { user, value } = await makeToken()
    for (const body of [
      {},
      { name: '' },
      { name: 'x', abilities: [] },
      { name: 'x', abilities: ['has space'] },
      { name: 'x', expiresIn: '10 years' },
      { name: 'x', expiresIn: 5 },
    ]) {
      const response = await client
        .post(urlFor('api.v1.tokens.store'))
        .headers(auth(value))
        .json(body)
      response.assertStatus(422)
      assert.isString(response.body().detail)
    }
    const count = await db
      .from('auth_access_tokens')
      .where('tokenable_id', user.id)
      .count('* as total')
    assert.equal(Number(count[0].total), 1)
  })

  test('revoke own token → 204, then it is refused', async ({ client, assert }) => {
    const { user, value } = await makeToken()
    const target = await makeToken(user)
    const revoke = client
      .delete(urlFor('api.v1.tokens.destroy', { id: target.token.id }))
      .headers(auth(value))
    assert.equal(await statusOf(revoke), 204)
    assert.equal(await statusOf(client.get(urlFor('api.v1.me')).headers(auth(target.value))), 401)
  })

  test("someone else's, unknown or malformed token id → 404", async ({ client, assert }) => {
    const { value } = await makeToken()
    const stranger = await makeToken()
    for (const id of [String(stranger.token.id), '999999', 'abc', '-1', '1.5', '99999999999999']) {
      const response = await client
        .delete(urlFor('api.v1.tokens.destroy', { id: id }))
        .headers(auth(value))
      response.assertStatus(404)
      response.assertBody({ detail: 'Not found.' })
    }
    assert.equal(await statusOf(client.get(urlFor('api.v1.me')).headers(auth(stranger.value))), 200)
  })

  test('deleting a user removes the tokens (cascade)', async ({ assert }) => {
    const { user } = await makeToken()
    await User.query().where('id', user.id).delete()
    const rows = await db.from('auth_access_tokens').where('tokenable_id', user.id)
    assert.lengthOf(rows, 0)
  })
})
