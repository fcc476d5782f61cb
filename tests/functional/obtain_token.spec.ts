import { test } from '@japa/runner'
import { urlFor } from '@adonisjs/core/services/url_builder'
import db from '@adonisjs/lucid/services/db'
import { isolateEachTest } from '#tests/helpers/database'
import { PASSWORD, expireToken, makeUser } from '#tests/helpers/factories'
import { rawRequest } from '#tests/helpers/http'

const URL = '/api-token-auth/'
const BAD_CREDENTIALS = { non_field_errors: ['Unable to log in with provided credentials.'] }

async function liveDefaultTokens(userId: number) {
  return db
    .from('auth_access_tokens')
    .where('tokenable_id', userId)
    .whereNotNull('encrypted_secret')
}

test.group('POST /api-token-auth/ (DRF obtain_auth_token)', (group) => {
  isolateEachTest(group)

  test('JSON credentials → 200 {"token": key}', async ({ client, assert }) => {
    await makeUser({ username: 'alice' })
    const response = await client.post(URL).json({ username: 'alice', password: PASSWORD })
    response.assertStatus(200)
    assert.deepEqual(Object.keys(response.body()), ['token'])
    assert.match(response.body().token, /^gth_[0-9A-Za-z]{46}$/)
  })

  test('form-encoded and multipart credentials work too', async ({ client, assert }) => {
    await makeUser({ username: 'alice' })
    const form = await client.post(URL).form({ username: 'alice', password: PASSWORD })
    form.assertStatus(200)
    const multipart = await client.post(URL).field('username', 'alice').field('password', PASSWORD)
    multipart.assertStatus(200)
    assert.equal(form.body().token, multipart.body().token)
  })

  test('the email works as the username', async ({ client }) => {
    await makeUser({ username: 'alice', email: 'alice@example.com' })
    const response = await client
      .post(URL)
      .json({ username: 'alice@example.com', password: PASSWORD })
    response.assertStatus(200)
  })

  test('get-or-create: the same key again while it is live', async ({ client, assert }) => {
    const user = await makeUser({ username: 'alice' })
    const first = await client.post(URL).json({ username: 'alice', password: PASSWORD })
    const second = await client.post(URL).json({ username: 'alice', password: PASSWORD })
    assert.equal(first.body().token, second.body().token)
    assert.lengthOf(await liveDefaultTokens(user.id), 1)

    const works = await client
      .get(urlFor('api.v1.protected'))
      .header('Authorization', `Token ${first.body().token}`)
    works.assertStatus(200)
  })

  test('after revocation a new key is issued', async ({ client, assert }) => {
    await makeUser({ username: 'alice' })
    const first = await client.post(URL).json({ username: 'alice', password: PASSWORD })
    const key = first.body().token
    const logout = await client
      .post(urlFor('api.v1.auth.logout'))
      .header('Authorization', `Token ${key}`)
    logout.assertStatus(204)

    const second = await client.post(URL).json({ username: 'alice', password: PASSWORD })
    assert.notEqual(second.body().token, key)
    const old = await client.get(urlFor('api.v1.protected')).header('Authorization', `Token ${key}`)
    old.assertStatus(401)
  })

  test('after expiry a new key is issued and the old one stays refused', async ({
    client,
    assert,
  }) => {
    const user = await makeUser({ username: 'alice' })
    const first = await client.post(URL).json({ username: 'alice', password: PASSWORD })
    const [row] = await liveDefaultTokens(user.id)
    await expireToken(row.id)

    const second = await client.post(URL).json({ username: 'alice', password: PASSWORD })
    assert.notEqual(second.body().token, first.body().token)
    assert.lengthOf(await liveDefaultTokens(user.id), 1)
    const old = await client
      .get(urlFor('api.v1.protected'))
      .header('Authorization', `Token ${first.body().token}`)
    old.assertBody({ detail: 'Token has expired.' })
  })

  test('{title} → 400 non_field_errors')
    .with([
      { title: 'wrong password', username: 'alice', password: 'wrong password!' },
      { title: 'unknown user', username: 'nobody', password: PASSWORD },
      { title: 'inactive user', username: 'sleepy', password: PASSWORD },
      { title: 'over-long password', username: 'alice', password: 'x'.repeat(10_000) },
    ])
    .run(async ({ client, assert }, { username, password }) => {
      await makeUser({ username: 'alice' })
      await makeUser({ username: 'sleepy', isActive: false })
      const response = await client.post(URL).json({ username, password })
      response.assertStatus(400)
      response.assertBody(BAD_CREDENTIALS)
      const tokens = await db.from('auth_access_tokens').count('* as total')
      assert.equal(Number(tokens[0].total), 0)
    })

  test('{title} → 400 field errors')
    .with([
      {
        title: 'empty body',
        body: {},
        expected: { username: ['This field is required.'], password: ['This field is required.'] },
      },
      {
        title: 'missing password',
        body: { username: 'alice' },
        expected: { password: ['This field is required.'] },
      },
      {
        title: 'blank username',
        body: { username: '   ', password: 'x' },
        expected: { username: ['This field may not be blank.'] },
      },
      {
        title: 'blank password',
        body: { username: 'alice', password: '' },
        expected: { password: ['This field may not be blank.'] },
      },
      {
        title: 'null username',
        body: { username: null, password: 'x' },
        expected: { username: ['This field may not be null.'] },
      },
      {
        title: 'object as username',
        body: { username: { a: 1 }, password: 'x' },
        expected: { username: ['Not a valid string.'] },
      },
    ])
    .run(async ({ client }, { body, expected }) => {
      const response = await client.post(URL).json(body)
      response.assertStatus(400)
      response.assertBody(expected)
    })

  test('a JSON list → 400 non_field_errors', async ({ client }) => {
    const response = await client.post(URL).json([{ username: 'alice' }])
    response.assertStatus(400)
    response.assertBody({
      non_field_errors: ['Invalid data. Expected a dictionary, but got list.'],
    })
  })

  test('malformed JSON → 400 with a JSON parse error detail', async ({ assert }) => {
    const response = await rawRequest(URL, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: '{"username": "alice",',
    })
    const body = (await response.json()) as { detail: string }
    assert.equal(response.status, 400)
    assert.match(body.detail, /^JSON parse error - /)
  })

  test('GET → 405 with Allow', async ({ client }) => {
    const response = await client.get(URL)
    response.assertStatus(405)
    response.assertBody({ detail: 'Method "GET" not allowed.' })
    response.assertHeader('allow', 'POST, OPTIONS')
  })

  test('an unsupported content type → 415', async ({ assert }) => {
    const response = await rawRequest(URL, {
      method: 'POST',
      headers: { 'Content-Type': 'text/plain' },
      body: 'username=alice&password=x',
    })
    assert.equal(response.status, 415)
    assert.deepEqual(await response.json(), {
      detail: 'Unsupported media type "text/plain" in request.',
    })
  })

  test('the path without the trailing slash works too', async ({ client }) => {
    await makeUser({ username: 'alice' })
    const response = await client
      .post('/api-token-auth')
      .json({ username: 'alice', password: PASSWORD })
    response.assertStatus(200)
  })
})
