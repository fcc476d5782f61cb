import { test } from '@japa/runner'
import gatehouse from '#config/gatehouse'
import userService from '#services/user_service'
import { isolateEachTest } from '#tests/helpers/database'

const PASSWORD = 'correct horse battery'
const { user: perUser, ip: perIp } = gatehouse.throttle

test.group('Login throttling (memory store)', (group) => {
  isolateEachTest(group)
  group.each.setup(async () => {
    await userService.create({ username: 'alice', password: PASSWORD })
  })

  test('failed logins for one username are blocked with 429 and Retry-After', async ({
    client,
    assert,
  }) => {
    for (let i = 0; i < perUser.requests; i++) {
      const response = await client.post('/api/v1/auth/login').json({
        username: 'alice',
        password: `wrong-${i}`,
      })
      response.assertStatus(400)
    }

    // Blocked: even the right password is not checked now.
    const blocked = await client
      .post('/api/v1/auth/login')
      .json({ username: 'alice', password: PASSWORD })
    blocked.assertStatus(429)
    assert.match(
      blocked.body().detail,
      /^Request was throttled\. Expected available in \d+ seconds?\.$/
    )
    assert.isAbove(Number(blocked.header('retry-after')), 0)

    // Another username from the same address is not blocked.
    await userService.create({ username: 'bob', password: PASSWORD })
    const other = await client
      .post('/api/v1/auth/login')
      .json({ username: 'bob', password: PASSWORD })
    other.assertStatus(200)
  })

  test('the DRF endpoint shares the username+IP count', async ({ client }) => {
    for (let i = 0; i < perUser.requests; i++) {
      const response = await client
        .post('/api-token-auth/')
        .json({ username: 'ALICE ', password: `wrong-${i}` })
      response.assertStatus(400)
    }
    const blocked = await client
      .post('/api/v1/auth/login')
      .json({ username: 'alice', password: PASSWORD })
    blocked.assertStatus(429)
    const drf = await client
      .post('/api-token-auth/')
      .form({ username: 'alice', password: PASSWORD })
    drf.assertStatus(429)
    drf.assertHeader('retry-after', blocked.header('retry-after'))
  })

  test('a successful sign-in clears the failures of that username', async ({ client }) => {
    for (let round = 0; round < 2; round++) {
      for (let i = 0; i < perUser.requests - 1; i++) {
        const response = await client
          .post('/api-token-auth/')
          .json({ username: 'alice', password: 'nope' })
        response.assertStatus(400)
      }
      const ok = await client
        .post('/api-token-auth/')
        .json({ username: 'alice', password: PASSWORD })
      ok.assertStatus(200)
    }
  })

  test('every attempt counts against the IP address, even malformed ones', async ({
    client,
    assert,
  }) => {
    for (let i = 0; i < perIp.requests; i++) {
      const response = await client.post(i % 2 ? '/api-token-auth/' : '/api/v1/auth/login').json({})
      assert.oneOf(response.status(), [400, 422])
    }
    const blocked = await client
      .post('/api/v1/auth/login')
      .json({ username: 'alice', password: PASSWORD })
    blocked.assertStatus(429)
    assert.properties(blocked.body(), ['detail'])
    assert.isAbove(Number(blocked.header('retry-after')), 0)

    // Authenticated API calls are not sign-ins: never throttled by this limit.
    const me = await client.get('/api/v1/me')
    me.assertStatus(401)
  })
})
