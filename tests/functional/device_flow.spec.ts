import { test } from '@japa/runner'
import { urlFor } from '@adonisjs/core/services/url_builder'
import db from '@adonisjs/lucid/services/db'
import { DateTime } from 'luxon'
import gatehouse from '#config/gatehouse'
import AccessToken from '#models/access_token'
import DeviceAuthorization from '#models/device_authorization'
import type User from '#models/user'
import userService from '#services/user_service'
import { DEVICE_CODE_GRANT } from '#services/device_authorization_service'
import { isolateEachTest } from '#tests/helpers/database'
import { baseUrl } from '#tests/helpers/http'
import { insertTokens, makeUser } from '#tests/helpers/factories'
import { captureLogs } from '#tests/helpers/logs'
import { postForm } from '#tests/helpers/pages'

type Client = any

async function authorize(client: Client, body: Record<string, unknown> = {}) {
  const response = await client.post(urlFor('api.v1.device.authorize')).json(body)
  response.assertStatus(200)
  return response.body() as {
    device_code: string
    user_code: string
    verification_uri: string
    verification_uri_complete: string
    expires_in: number
    interval: number
  }
}

/** A column of the one stored device request. */
async function storedColumn<K extends 'status' | 'interval'>(column: K) {
  const row = await DeviceAuthorization.firstOrFail()
  return row[column]
}

function poll(client: Client, deviceCode: string) {
  return client
    .post(urlFor('api.v1.device.token'))
    .json({ grant_type: DEVICE_CODE_GRANT, device_code: deviceCode })
}

/** Lets the next poll come "after the interval" without waiting for it. */
async function movePollsBack() {
  const past = DateTime.now().minus({ minutes: 5 })
  await db
    .from('device_authorizations')
    .update({ last_polled_at: past.toFormat(db.connection().dialect.dateTimeFormat) })
}

async function expireAll() {
  const past = DateTime.now().minus({ seconds: 1 })
  await db
    .from('device_authorizations')
    .update({ expires_at: past.toFormat(db.connection().dialect.dateTimeFormat) })
}

function decide(client: Client, user: User, code: string, decision: 'approve' | 'deny') {
  return postForm(client, user, urlFor('device.decide'), { code, decision }).redirects(0)
}

test.group('Device sign-in: POST /api/v1/device/authorize', (group) => {
  isolateEachTest(group)

  test('answers RFC 8628 fields; codes are stored hashed only', async ({ client, assert }) => {
    const response = await client
      .post(urlFor('api.v1.device.authorize'))
      .json({ name: 'my-cli', abilities: ['tokens:read'] })
    response.assertStatus(200)
    response.assertHeader('cache-control', 'no-store')
    const body = response.body()

    assert.match(body.device_code, /^[\w-]{43}$/)
    assert.match(body.user_code, /^[BCDFGHJKLMNPQRSTVWXZ]{4}-[BCDFGHJKLMNPQRSTVWXZ]{4}$/)
    assert.equal(body.verification_uri, `${baseUrl()}/device`)
    assert.equal(body.verification_uri_complete, `${baseUrl()}/device?code=${body.user_code}`)
    assert.notInclude(body.verification_uri_complete, body.device_code)
    assert.equal(body.expires_in, 900)
    assert.equal(body.interval, 5)

    const rows = await db.from('device_authorizations')
    assert.lengthOf(rows, 1)
    const stored = JSON.stringify(rows)
    assert.notInclude(stored, body.device_code)
    assert.notInclude(stored, body.user_code.replace('-', ''))
    assert.equal(rows[0].name, 'my-cli')
  })

  test('APP_URL, when configured, is the base of verification_uri', async ({ client, assert }) => {
    const previous = gatehouse.device.baseUrl
    gatehouse.device.baseUrl = 'https://gatehouse.example.com/'
    try {
      const body = await authorize(client)
      assert.equal(body.verification_uri, 'https://gatehouse.example.com/device')
    } finally {
      gatehouse.device.baseUrl = previous
    }
  })

  test('without a name or abilities: "Device sign-in" with full access', async ({
    client,
    assert,
  }) => {
    await authorize(client)
    const row = await DeviceAuthorization.firstOrFail()
    assert.equal(row.name, 'Device sign-in')
    assert.deepEqual(row.abilities, ['*'])
  })

  test('a form body with abilities as one string works too', async ({ client, assert }) => {
    const response = await client
      .post(urlFor('api.v1.device.authorize'))
      .form({ name: 'form-cli', abilities: 'tokens:read tokens:write' })
    response.assertStatus(200)
    const row = await DeviceAuthorization.firstOrFail()
    assert.deepEqual(row.abilities, ['tokens:read', 'tokens:write'])
  })

  test('refuses {title} with invalid_request, creating nothing')
    .with([
      { title: 'a blank name', body: { name: '  ' } },
      { title: 'a name over 100 characters', body: { name: 'x'.repeat(101) } },
      { title: 'a bad ability', body: { abilities: ['no spaces'] } },
      { title: 'an empty ability list', body: { abilities: [] } },
      { title: 'abilities that are not a list', body: { abilities: { a: 1 } } },
    ])
    .run(async ({ client, assert }, { body }) => {
      const response = await client.post(urlFor('api.v1.device.authorize')).json(body)
      response.assertStatus(400)
      assert.equal(response.body().error, 'invalid_request')
      assert.isString(response.body().error_description)
      assert.lengthOf(await db.from('device_authorizations'), 0)
    })

  test('too many requests from one IP are throttled (429)', async ({ client }) => {
    const { requests } = gatehouse.device.authorizeThrottle
    for (let i = 0; i < requests; i++) await authorize(client)
    const response = await client.post(urlFor('api.v1.device.authorize')).json({})
    response.assertStatus(429)
  })
})

test.group('Device sign-in: the whole flow over HTTP', (group) => {
  isolateEachTest(group)

  test('pending → slow_down → approve on /device → token works → code spent', async ({
    client,
    assert,
  }) => {
    const user = await makeUser({ username: 'ada' })
    const started = await authorize(client, { name: 'ada-laptop', abilities: ['profile:read'] })

    const pending = await poll(client, started.device_code)
    pending.assertStatus(400)
    pending.assertHeader('cache-control', 'no-store')
    assert.equal(pending.body().error, 'authorization_pending')

    const tooFast = await poll(client, started.device_code)
    tooFast.assertStatus(400)
    assert.equal(tooFast.body().error, 'slow_down')
    assert.equal(await storedColumn('interval'), 10)

    // The person opens verification_uri_complete, sees what is asked, approves.
    const page = await client
      .get(new URL(started.verification_uri_complete).pathname + '?code=' + started.user_code)
      .withGuard('web')
      .loginAs(user)
    page.assertStatus(200)
    page.assertTextIncludes('data-testid="device-confirm"')
    page.assertTextIncludes('ada-laptop')
    page.assertTextIncludes('profile:read')
    const approved = await decide(client, user, started.user_code, 'approve')
    approved.assertHeader('location', '/device')
    approved.assertFlashMessage(
      'success',
      'Device approved. You can close this page and go back to your terminal.'
    )

    await movePollsBack()
    const issued = await poll(client, started.device_code)
    issued.assertStatus(200)
    issued.assertHeader('cache-control', 'no-store')
    const { token, user: owner } = issued.body()
    assert.match(token.value, /^gth_/)
    assert.equal(token.name, 'ada-laptop')
    assert.deepEqual(token.abilities, ['profile:read'])
    assert.equal(token.type, 'bearer')
    assert.isNotNull(token.expiresAt, 'the default lifetime applies')
    assert.equal(owner.username, 'ada')
    assert.notProperty(owner, 'password')

    const protectedResponse = await client
      .get(urlFor('api.v1.protected'))
      .header('authorization', `Token ${token.value}`)
    protectedResponse.assertStatus(200)
    assert.equal(protectedResponse.body().user.username, 'ada')

    await movePollsBack()
    const replay = await poll(client, started.device_code)
    replay.assertStatus(400)
    assert.equal(replay.body().error, 'invalid_grant')
    assert.lengthOf(await AccessToken.all(), 1)
  })

  test('the same answers with a form body and without grant_type', async ({ client, assert }) => {
    const started = await authorize(client)
    const response = await client
      .post(urlFor('api.v1.device.token'))
      .form({ device_code: started.device_code })
    response.assertStatus(400)
    assert.equal(response.body().error, 'authorization_pending')
  })

  test('denied on /device: access_denied, no token', async ({ client, assert }) => {
    const user = await makeUser()
    const started = await authorize(client)
    const denied = await decide(client, user, started.user_code, 'deny')
    denied.assertFlashMessage('success', 'Request denied: the tool gets no access.')

    const response = await poll(client, started.device_code)
    response.assertStatus(400)
    assert.equal(response.body().error, 'access_denied')
    assert.lengthOf(await AccessToken.all(), 0)
  })

  test('expired: expired_token to the tool, refused on the page', async ({ client, assert }) => {
    const user = await makeUser()
    const started = await authorize(client)
    await expireAll()

    const page = await client
      .get(urlFor('device', {}, { qs: { code: started.user_code } }))
      .withGuard('web')
      .loginAs(user)
    page.assertTextIncludes('data-testid="device-error"')
    const approve = await decide(client, user, started.user_code, 'approve')
    approve.assertFlashMessage(
      'error',
      'That code has expired or was already used. Start the sign-in again in your tool.'
    )

    const response = await poll(client, started.device_code)
    response.assertStatus(400)
    assert.equal(response.body().error, 'expired_token')
  })

  test('an approved code not collected before expiry gives no token', async ({
    client,
    assert,
  }) => {
    const user = await makeUser()
    const started = await authorize(client)
    await decide(client, user, started.user_code, 'approve')
    await expireAll()
    const response = await poll(client, started.device_code)
    assert.equal(response.body().error, 'expired_token')
    assert.lengthOf(await AccessToken.all(), 0)
  })

  test('a code decided once cannot be decided again, by anyone', async ({ client, assert }) => {
    const ada = await makeUser()
    const mallory = await makeUser()
    const started = await authorize(client)
    await decide(client, ada, started.user_code, 'approve')

    const again = await decide(client, mallory, started.user_code, 'approve')
    again.assertFlashMessage(
      'error',
      'That code has expired or was already used. Start the sign-in again in your tool.'
    )
    const deny = await decide(client, ada, started.user_code, 'deny')
    assert.equal(deny.flashMessage('error'), again.flashMessage('error'))

    const response = await poll(client, started.device_code)
    response.assertStatus(200)
    assert.equal(response.body().user.id, ada.id)
    const [token] = await AccessToken.all()
    assert.equal(token.tokenableId, ada.id, 'the approving user, never another')
  })

  test('each approval yields a token for its own approver only', async ({ client, assert }) => {
    const ada = await makeUser()
    const bob = await makeUser()
    const first = await authorize(client)
    const second = await authorize(client)
    await decide(client, ada, first.user_code, 'approve')
    await decide(client, bob, second.user_code, 'approve')

    const forBob = await poll(client, second.device_code)
    const forAda = await poll(client, first.device_code)
    assert.equal(forAda.body().user.id, ada.id)
    assert.equal(forBob.body().user.id, bob.id)
  })

  test('a user deactivated after approving gets no token (access_denied)', async ({
    client,
    assert,
  }) => {
    const user = await makeUser()
    const started = await authorize(client)
    await decide(client, user, started.user_code, 'approve')
    await userService.setActive(user, false)
    const response = await poll(client, started.device_code)
    assert.equal(response.body().error, 'access_denied')
    assert.lengthOf(await AccessToken.all(), 0)
  })

  test('at tokens.maxPerUser the tool is told why (access_denied); it can retry later', async ({
    client,
    assert,
  }) => {
    const user = await makeUser()
    await insertTokens(user, gatehouse.tokens.maxPerUser)
    const started = await authorize(client)
    await decide(client, user, started.user_code, 'approve')

    const refused = await poll(client, started.device_code)
    refused.assertStatus(400)
    assert.equal(refused.body().error, 'access_denied')
    assert.match(refused.body().error_description, /the most one user may hold/)

    const one = await AccessToken.query().where('tokenable_id', user.id).firstOrFail()
    await one.delete()
    await movePollsBack()
    const issued = await poll(client, started.device_code)
    issued.assertStatus(200)
  })

  test('POST /api/v1/device/token refuses {title}')
    .with([
      { title: 'a missing device_code', body: {}, error: 'invalid_request' },
      {
        title: 'a device_code that is not a string',
        body: { device_code: 7 },
        error: 'invalid_request',
      },
      {
        title: 'an unknown device_code',
        body: { device_code: 'x'.repeat(43) },
        error: 'invalid_grant',
      },
      { title: 'a malformed device_code', body: { device_code: 'short' }, error: 'invalid_grant' },
      {
        title: 'another grant type',
        body: { grant_type: 'password', device_code: 'x'.repeat(43) },
        error: 'unsupported_grant_type',
      },
    ])
    .run(async ({ client, assert }, { body, error }) => {
      const response = await client.post(urlFor('api.v1.device.token')).json(body)
      response.assertStatus(400)
      response.assertHeader('cache-control', 'no-store')
      assert.equal(response.body().error, error)
      assert.isString(response.body().error_description)
    })

  test('the user code is not a device code', async ({ client, assert }) => {
    const started = await authorize(client)
    const response = await poll(client, started.user_code)
    assert.equal(response.body().error, 'invalid_grant')
  })
})

test.group('Device sign-in: secrets stay out of logs', (group) => {
  isolateEachTest(group)

  test('request logs name the paths, never a device code, user code or key', async ({
    client,
    assert,
  }) => {
    const user = await makeUser()
    const capture = captureLogs()
    let secrets: string[] = []
    try {
      const started = await authorize(client)
      await poll(client, started.device_code)
      await client.post(urlFor('api.v1.device.token')).form({ device_code: started.device_code })
      await decide(client, user, started.user_code, 'approve')
      await movePollsBack()
      const issued = await poll(client, started.device_code)
      secrets = [started.device_code, started.user_code, issued.body().token.value]
    } finally {
      capture.restore()
    }
    const logs = capture.lines.join('\n')
    assert.include(logs, '/api/v1/device/token')
    for (const secret of secrets) assert.notInclude(logs, secret)
  })
})

test.group('Device sign-in: the /device page', (group) => {
  isolateEachTest(group)

  test('a guest is sent to sign in, then comes back to the code', async ({ client, assert }) => {
    await makeUser({ username: 'ada' })
    const started = await authorize(client)
    const guest = await client
      .get(urlFor('device', {}, { qs: { code: started.user_code } }))
      .redirects(0)
    guest.assertStatus(302)
    assert.match(guest.header('location') ?? '', /^\/login/)
    guest.assertSession('redirect.intendedUrl', `/device?code=${started.user_code}`)

    const signIn = await client
      .post(urlFor('login.store'))
      .form({ username: 'ada', password: 'correct horse battery' })
      .withCsrfToken()
      .withSession({ 'redirect.intendedUrl': `/device?code=${started.user_code}` })
      .redirects(0)
    signIn.assertHeader('location', `/device?code=${started.user_code}`)
  })

  test('typing the code: any case, with or without the dash', async ({ client }) => {
    const user = await makeUser()
    const started = await authorize(client, { name: 'typed' })
    const typed = started.user_code.replace('-', ' ').toLowerCase()
    const response = await postForm(client, user, urlFor('device.lookup'), { code: typed })
    response.assertStatus(200)
    response.assertTextIncludes('data-testid="device-confirm"')
    response.assertTextIncludes(started.user_code)
    response.assertTextIncludes('typed')
  })

  test('GET /device shows the form', async ({ client }) => {
    const user = await makeUser()
    const response = await client.get(urlFor('device')).withGuard('web').loginAs(user)
    response.assertStatus(200)
    response.assertTextIncludes('<form method="POST" action="/device"')
  })

  test('wrong codes are throttled: then even the right code waits', async ({ client, assert }) => {
    const user = await makeUser()
    const started = await authorize(client)
    const { requests } = gatehouse.device.userCodeThrottle
    const attempt = (code: string) => postForm(client, user, urlFor('device.lookup'), { code })

    for (let i = 0; i < requests; i++) {
      const wrong = await attempt('BBBB-BBBB')
      wrong.assertTextIncludes('That code is not valid')
    }
    const right = await attempt(started.user_code)
    right.assertTextIncludes('Too many wrong codes. Try again in 15 minutes.')
    assert.notInclude(right.text(), 'data-testid="device-confirm"')

    const approve = await decide(client, user, started.user_code, 'approve')
    assert.match(String(approve.flashMessage('error')), /^Too many wrong codes/)
    assert.equal(await storedColumn('status'), 'pending')
  })

  test('approving needs a CSRF token', async ({ client, assert }) => {
    const user = await makeUser()
    const started = await authorize(client)
    await client
      .post(urlFor('device.decide'))
      .form({ code: started.user_code, decision: 'approve' })
      .withGuard('web')
      .loginAs(user)
      .header('referer', '/device')
      .redirects(0)
    assert.equal(await storedColumn('status'), 'pending')
  })

  test('an unknown decision is refused', async ({ client, assert }) => {
    const user = await makeUser()
    const started = await authorize(client)
    const response = await postForm(client, user, urlFor('device.decide'), {
      code: started.user_code,
      decision: 'maybe',
    })
      .header('referer', '/device')
      .redirects(0)
    assert.deepEqual(response.flashMessage('inputErrorsBag'), {
      decision: ['Choose Approve or Deny.'],
    })
    assert.equal(await storedColumn('status'), 'pending')
  })
})
