import { test } from '@japa/runner'
import { urlFor } from '@adonisjs/core/services/url_builder'
import gatehouse from '#config/gatehouse'
import userService from '#services/user_service'
import loginThrottle, { ipGroup } from '#services/login_throttle'
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
      const response = await client.post(urlFor('api.v1.auth.login')).json({
        username: 'alice',
        password: `wrong-${i}`,
      })
      response.assertStatus(400)
    }

    // Blocked: even the right password is not checked now.
    const blocked = await client
      .post(urlFor('api.v1.auth.login'))
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
      .post(urlFor('api.v1.auth.login'))
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
      .post(urlFor('api.v1.auth.login'))
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
      .post(urlFor('api.v1.auth.login'))
      .json({ username: 'alice', password: PASSWORD })
    blocked.assertStatus(429)
    assert.properties(blocked.body(), ['detail'])
    assert.isAbove(Number(blocked.header('retry-after')), 0)

    // Authenticated API calls are not sign-ins: never throttled by this limit.
    const me = await client.get(urlFor('api.v1.me'))
    me.assertStatus(401)
  })

  test('failures count per account, whether the username or the email is typed', async ({
    client,
  }) => {
    await userService.create({ username: 'carol', email: 'carol@example.com', password: PASSWORD })
    for (let i = 0; i < perUser.requests; i++) {
      const username = i % 2 ? 'carol@example.com' : 'carol'
      const response = await client
        .post(urlFor('api.v1.auth.login'))
        .json({ username, password: `wrong-${i}` })
      response.assertStatus(400)
    }
    for (const username of ['carol', 'CAROL@example.com']) {
      const blocked = await client.post('/api-token-auth/').json({ username, password: PASSWORD })
      blocked.assertStatus(429)
    }
  })

  test('unknown identifiers count per identifier', async ({ client }) => {
    for (let i = 0; i < perUser.requests; i++) {
      const response = await client
        .post('/api-token-auth/')
        .json({ username: 'ghost@example.com', password: `wrong-${i}` })
      response.assertStatus(400)
    }
    const blocked = await client
      .post('/api-token-auth/')
      .json({ username: 'Ghost@Example.com', password: PASSWORD })
    blocked.assertStatus(429)
    const other = await client
      .post('/api-token-auth/')
      .json({ username: 'alice', password: PASSWORD })
    other.assertStatus(200)
  })

  test('IPv6 addresses of one /64 share the per-IP limit', async ({ assert }) => {
    for (let i = 0; i < perIp.requests; i++) {
      await loginThrottle.hit(`2001:db8:1:2:${(i + 1).toString(16)}::1`)
    }
    await assert.rejects(() => loginThrottle.hit('2001:db8:1:2:ffff:ffff:ffff:ffff'))
    await loginThrottle.hit('2001:db8:1:3::1')
  })

  test('failures from one /64 count together for an account', async ({ assert }) => {
    for (let i = 0; i < perUser.requests; i++) {
      assert.isNull(await loginThrottle.attempt('alice', `wrong-${i}`, `2001:db8::${i + 1}`))
    }
    await assert.rejects(() => loginThrottle.attempt('alice', PASSWORD, '2001:db8::abcd'))
  })
})

test.group('Login throttling | address groups', () => {
  test('{ip} → {group}')
    .with([
      { ip: '192.0.2.7', group: '192.0.2.7' },
      { ip: '::ffff:192.0.2.7', group: '192.0.2.7' },
      { ip: '::ffff:c000:207', group: '192.0.2.7' },
      { ip: '2001:db8:1:2:3:4:5:6', group: '2001:db8:1:2::/64' },
      { ip: '2001:DB8:0001:0002::9', group: '2001:db8:1:2::/64' },
      { ip: '2001:db8::1', group: '2001:db8:0:0::/64' },
      { ip: 'fe80::1%eth0', group: 'fe80:0:0:0::/64' },
      { ip: '::1', group: '0:0:0:0::/64' },
      { ip: 'not an address', group: 'not an address' },
    ])
    .run(({ assert }, { ip, group }) => {
      assert.equal(ipGroup(ip), group)
    })
})
