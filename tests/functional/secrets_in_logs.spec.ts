import { test } from '@japa/runner'
import userService from '#services/user_service'
import { isolateEachTest } from '#tests/helpers/database'
import { buildRequest, rawRequest } from '#tests/helpers/raw_http'
import { captureLogs } from '#tests/helpers/logs'

const PASSWORD = 'Pa55word-that-must-not-leak'
const COOKIE = 'sessionid=cookie-value-that-must-not-leak'

test.group('Secrets in logs', (group) => {
  isolateEachTest(group)

  test('request logs hold no password, token, Authorization value or cookie', async ({
    client,
    assert,
  }) => {
    await userService.create({ username: 'alice', password: PASSWORD })
    const capture = captureLogs()
    const secrets: string[] = [PASSWORD, COOKIE.split('=')[1]]
    try {
      const login = await client
        .post('/api/v1/auth/login')
        .header('cookie', COOKIE)
        .json({ username: 'alice', password: PASSWORD })
      login.assertStatus(200)
      const key: string = login.body().token.value
      secrets.push(key, `Token ${key}`)

      const obtained = await client
        .post('/api-token-auth/')
        .form({ username: 'alice', password: PASSWORD })
      obtained.assertStatus(200)

      const me = await client
        .get('/api/v1/me')
        .header('authorization', `Token ${key}`)
        .header('cookie', COOKIE)
      me.assertStatus(200)

      const created = await client
        .post('/api/v1/tokens')
        .header('authorization', `Bearer ${key}`)
        .json({ name: 'ci' })
      created.assertStatus(201)
      secrets.push(created.body().token.value)

      const wrong = await client
        .post('/api/v1/auth/login')
        .json({ username: 'alice', password: `${PASSWORD}-wrong` })
      wrong.assertStatus(400)

      // Error paths: malformed JSON and an oversized body holding the password,
      // a wrong key; the answers do not echo them either.
      const malformed = await rawRequest(
        buildRequest({
          method: 'POST',
          path: '/api/v1/auth/login',
          headers: ['Content-Type: application/json'],
          body: `{"username":"alice","password":"${PASSWORD}",}`,
        })
      )
      assert.equal(malformed.status, 400)
      assert.notInclude(malformed.body, PASSWORD)
      const oversized = await client
        .post('/api-token-auth/')
        .json({ username: 'alice', password: PASSWORD, pad: 'x'.repeat(70_000) })
      oversized.assertStatus(413)
      const wrongKey = `${key.slice(0, -8)}AAAAAAAA`
      secrets.push(wrongKey)
      const refused = await client.get('/api/v1/me').header('authorization', `Token ${wrongKey}`)
      refused.assertStatus(401)
      assert.notInclude(JSON.stringify(refused.body()), wrongKey)

      // A key in a query string (clients must not do this) stays out of the logs too.
      const stray = await client.get(`/api/v1/me?token=${key}`)
      stray.assertStatus(401)
      assert.notInclude(JSON.stringify(stray.body()), key)
    } finally {
      capture.restore()
    }

    const entries = capture.lines.map((line) => JSON.parse(line))
    const requests = entries.filter((entry) => entry.msg === 'http request')
    assert.includeDeepMembers(
      requests.map(({ method, path, status }) => ({ method, path, status })),
      [
        { method: 'POST', path: '/api/v1/auth/login', status: 200 },
        { method: 'POST', path: '/api-token-auth/', status: 200 },
        { method: 'GET', path: '/api/v1/me', status: 200 },
        { method: 'POST', path: '/api/v1/tokens', status: 201 },
        { method: 'POST', path: '/api/v1/auth/login', status: 400 },
        { method: 'GET', path: '/api/v1/me', status: 401 },
        { method: 'POST', path: '/api-token-auth/', status: 413 },
      ]
    )
    for (const entry of requests) {
      assert.properties(entry, ['request_id', 'duration_ms'])
      assert.notProperty(entry, 'headers')
    }

    const output = capture.lines.join('')
    for (const secret of secrets) {
      assert.notInclude(output, secret)
    }
  })
})
