import { Readable } from 'node:stream'
import { test } from '@japa/runner'
import { urlFor } from '@adonisjs/core/services/url_builder'
import db from '@adonisjs/lucid/services/db'
import gatehouse from '#config/gatehouse'
import AuditEvent from '#models/audit_event'
import audit from '#services/audit_service'
import signInAudit from '#services/sign_in_audit'
import { LoginThrottle } from '#services/login_throttle'
import tokenService from '#services/token_service'
import deviceService from '#services/device_authorization_service'
import { isolateEachTest } from '#tests/helpers/database'
import { expireToken, makeToken, makeUser, PASSWORD } from '#tests/helpers/factories'
import { makeCommand, runCommand } from '#tests/helpers/commands'
import { sqliteFixture } from '#tests/helpers/drf_fixtures'
import { postForm } from '#tests/helpers/pages'

const AGENT = 'audit-test/1.0'

/** Every recorded event, oldest first. */
function events() {
  return AuditEvent.query().orderBy('id', 'asc')
}

async function names() {
  const recorded = await events()
  return recorded.map((event) => event.event)
}

/** Runs a command that must succeed. */
async function succeeds(name: string, argv: string[]) {
  const command = await runCommand(name, argv)
  command.assertSucceeded()
}

test.group('Audit hooks: sign-in', (group) => {
  isolateEachTest(group)
  group.each.setup(() => signInAudit.reset())

  test('a sign-in records success and the token obtained, with address and agent', async ({
    client,
    assert,
  }) => {
    const user = await makeUser({ username: 'ada' })
    const response = await client
      .post(urlFor('api.v1.auth.login'))
      .header('user-agent', AGENT)
      .json({ username: 'ada', password: PASSWORD })
    response.assertStatus(200)

    const [signIn, obtained] = await events()
    assert.equal(signIn.event, 'sign_in.succeeded')
    assert.deepInclude(signIn.$attributes, { actorType: 'user', actorId: user.id, userId: user.id })
    assert.equal(signIn.userAgent, AGENT)
    assert.match(signIn.ip!, /127\.0\.0\.1|::1/)
    assert.equal(obtained.event, 'token.obtained')
    assert.equal(obtained.tokenId, response.body().token.id)
    assert.deepEqual(obtained.data, { name: 'default', hint: obtained.data.hint, created: true })
    assert.notInclude(JSON.stringify(await db.from('audit_events')), response.body().token.value)
  })

  test('DRF’s endpoint records the same; a wrong password for a real user is recorded', async ({
    client,
    assert,
  }) => {
    const user = await makeUser({ username: 'ada' })
    await client.post('/api-token-auth/').json({ username: 'ada', password: PASSWORD })
    await client.post('/api-token-auth/').json({ username: 'ada', password: 'wrong password' })
    assert.deepEqual(await names(), ['sign_in.succeeded', 'token.obtained', 'sign_in.failed'])
    const [, , failed] = await events()
    assert.equal(failed.userId, user.id)
    assert.deepEqual(failed.data, { reason: 'bad_credentials' })
    assert.notInclude(JSON.stringify(await db.from('audit_events')), 'wrong password')
  })

  test('a failure through the email address, in any case, is the user’s', async ({
    client,
    assert,
  }) => {
    const user = await makeUser({ username: 'ada', email: 'ada@example.com' })
    await client
      .post(urlFor('api.v1.auth.login'))
      .json({ username: 'ADA@Example.com', password: 'nope' })
    const [failed] = await events()
    assert.equal(failed.event, 'sign_in.failed')
    assert.equal(failed.userId, user.id)
  })

  test('guesses at unknown usernames record nothing', async ({ client, assert }) => {
    await client.post(urlFor('api.v1.auth.login')).json({ username: 'nobody', password: PASSWORD })
    await client.post('/api-token-auth/').json({ username: 'ghost', password: PASSWORD })
    assert.deepEqual(await names(), [])
  })

  test('an inactive account signing in is recorded as such', async ({ client, assert }) => {
    await makeUser({ username: 'ada', isActive: false })
    await client.post(urlFor('api.v1.auth.login')).json({ username: 'ada', password: PASSWORD })
    const [failed] = await events()
    assert.equal(failed.event, 'sign_in.failed')
    assert.deepEqual(failed.data, { reason: 'inactive' })
  })

  test('a throttled username is recorded once per block, not once per refusal', async ({
    client,
    assert,
  }) => {
    const user = await makeUser({ username: 'ada' })
    for (let i = 0; i < gatehouse.throttle.user.requests; i++) {
      await client
        .post(urlFor('api.v1.auth.login'))
        .json({ username: 'ada', password: `wrong-${i}` })
    }
    for (let i = 0; i < 3; i++) {
      const blocked = await client
        .post(urlFor('api.v1.auth.login'))
        .json({ username: 'ada', password: PASSWORD })
      blocked.assertStatus(429)
    }
    const recorded = await events()
    const throttled = recorded.filter((event) => event.event === 'sign_in.throttled')
    assert.lengthOf(throttled, 1)
    assert.equal(throttled[0].userId, user.id)
    assert.deepEqual(throttled[0].data, { scope: 'user' })
  })

  test('a throttled address is recorded once, with no user', async ({ assert }) => {
    const throttle = new LoginThrottle({
      ip: { requests: 1, duration: '1m', blockDuration: '1m' },
      user: gatehouse.throttle.user,
    })
    const ip = '198.51.100.77'
    await throttle.hit(ip, AGENT)
    for (let i = 0; i < 3; i++) {
      await assert.rejects(() => throttle.hit(ip, AGENT), /Request was throttled/)
    }
    const recorded = await events()
    assert.lengthOf(recorded, 1)
    assert.deepInclude(recorded[0].$attributes, {
      event: 'sign_in.throttled',
      actorType: 'system',
      userId: null,
      ip,
      userAgent: AGENT,
    })
    assert.deepEqual(recorded[0].data, { scope: 'ip' })
  })

  test('the web sign-in records success', async ({ client, assert }) => {
    const user = await makeUser({ username: 'ada' })
    await client
      .post(urlFor('login.store'))
      .withCsrfToken()
      .form({ username: 'ada', password: PASSWORD })
      .redirects(0)
    const [signIn] = await events()
    assert.equal(signIn.event, 'sign_in.succeeded')
    assert.equal(signIn.userId, user.id)
  })
})

test.group('Audit hooks: tokens over the API', (group) => {
  isolateEachTest(group)
  group.each.setup(() => audit.reset())

  test('create, rotate, revoke, logout and logout-all each record one event', async ({
    client,
    assert,
  }) => {
    const { user, value } = await makeToken()
    const auth = { 'authorization': `Token ${value}`, 'user-agent': AGENT }

    const created = await client
      .post(urlFor('api.v1.tokens.store'))
      .headers(auth)
      .json({ name: 'ci' })
    created.assertStatus(201)
    const ci = created.body().token
    const rotated = await client.post(urlFor('api.v1.tokens.rotate', { id: ci.id })).headers(auth)
    rotated.assertStatus(201)
    const successor = rotated.body().token
    const revoked = await client
      .delete(urlFor('api.v1.tokens.destroy', { id: successor.id }))
      .headers(auth)
    revoked.assertStatus(204)

    const other = await tokenService.create(user, { name: 'laptop' })
    await client
      .post(urlFor('api.v1.auth.logout'))
      .header('authorization', `Token ${other.value}`)
      .header('user-agent', AGENT)
    await client.post(urlFor('api.v1.auth.logout_all')).headers(auth)

    const recorded = await events()
    assert.deepEqual(
      recorded.map((event) => [event.event, event.tokenId]),
      [
        ['token.created', ci.id],
        ['token.rotated', ci.id],
        ['token.revoked', successor.id],
        ['token.revoked', other.token.id],
        ['token.revoked', null],
      ]
    )
    for (const event of recorded) {
      assert.equal(event.actorType, 'user')
      assert.equal(event.actorId, user.id)
      assert.equal(event.userId, user.id)
      assert.equal(event.userAgent, AGENT)
    }
    assert.equal(recorded[1].data.successorId, successor.id)
    assert.equal(recorded[3].data.via, 'logout')
    assert.deepEqual(recorded[4].data, { all: true, count: 2 })
    const stored = JSON.stringify(await db.from('audit_events'))
    for (const key of [value, ci.value, successor.value, other.value]) {
      assert.notInclude(stored, key)
    }
  })

  test('an authenticated request records nothing', async ({ client, assert }) => {
    const { value } = await makeToken()
    for (let i = 0; i < 3; i++) {
      const response = await client
        .get(urlFor('api.v1.me'))
        .header('authorization', `Token ${value}`)
      response.assertStatus(200)
    }
    assert.deepEqual(await names(), [])
  })

  test('an expired key refused again and again is recorded once', async ({ client, assert }) => {
    const { user, token, value } = await makeToken()
    await expireToken(token.id)
    for (let i = 0; i < 3; i++) {
      const response = await client
        .get(urlFor('api.v1.me'))
        .header('authorization', `Token ${value}`)
        .header('user-agent', AGENT)
      response.assertStatus(401)
    }
    const recorded = await events()
    assert.lengthOf(recorded, 1)
    assert.equal(recorded[0].event, 'token.expired_refused')
    assert.deepInclude(recorded[0].$attributes, {
      actorType: 'system',
      userId: user.id,
      tokenId: token.id,
      userAgent: AGENT,
    })
  })
})

test.group('Audit hooks: tokens on the pages', (group) => {
  isolateEachTest(group)

  test('get my token, create, revoke one and revoke all are recorded', async ({
    client,
    assert,
  }) => {
    const user = await makeUser()
    const web = () => client
    await web()
      .post(urlFor('tokens.mine'))
      .withGuard('web')
      .loginAs(user)
      .withCsrfToken()
      .redirects(0)
    await web()
      .post(urlFor('tokens.store'))
      .withGuard('web')
      .loginAs(user)
      .withCsrfToken()
      .form({ name: 'ci', abilities: '*', expiresIn: '7d' })
      .redirects(0)
    const tokens = await tokenService.list(user)
    const ci = tokens.find((token) => token.name === 'ci')!
    await web()
      .post(urlFor('tokens.revoke', { id: ci.id }))
      .withGuard('web')
      .loginAs(user)
      .withCsrfToken()
      .redirects(0)
    await web()
      .post(urlFor('tokens.revoke_all'))
      .withGuard('web')
      .loginAs(user)
      .withCsrfToken()
      .form({ confirm: 'on' })
      .redirects(0)

    const recorded = await events()
    assert.deepEqual(
      recorded.map((event) => event.event),
      ['token.obtained', 'token.created', 'token.revoked', 'token.revoked']
    )
    assert.equal(recorded[2].tokenId, ci.id)
    assert.deepEqual(recorded[2].data, { name: 'ci', hint: ci.hint })
    assert.deepEqual(recorded[3].data, { all: true, count: 1 })
    assert.isTrue(recorded.every((event) => event.userId === user.id))
  })
})

test.group('Audit hooks: account', (group) => {
  isolateEachTest(group)
  group.each.setup(() => signInAudit.reset())

  test('changing my password on /account is recorded, never the password', async ({
    client,
    assert,
  }) => {
    const user = await makeUser()
    await tokenService.create(user, { name: 'ci' })
    const response = await postForm(client, user, urlFor('account.password'), {
      currentPassword: PASSWORD,
      newPassword: 'a brand new password',
      newPasswordConfirmation: 'a brand new password',
      revokeTokens: 'on',
    })
      .header('user-agent', AGENT)
      .redirects(0)
    response.assertStatus(302)
    const recorded = await events()
    const changed = recorded.find((event) => event.event === 'user.password_changed')!
    assert.deepInclude(changed.$attributes, {
      actorType: 'user',
      actorId: user.id,
      userId: user.id,
    })
    assert.equal(changed.userAgent, AGENT)
    assert.deepEqual(changed.data, { sessionsEnded: 0, tokensRevoked: 1 })
    const stored = JSON.stringify(await db.from('audit_events'))
    assert.notInclude(stored, 'brand new')
    assert.notInclude(stored, PASSWORD)
  })
})

test.group('Audit hooks: device sign-in', (group) => {
  isolateEachTest(group)

  test('the token a device sign-in issues is recorded, from the tool’s request', async ({
    client,
    assert,
  }) => {
    const user = await makeUser()
    const started = await deviceService.start({ name: 'cli laptop' })
    const lookup = await deviceService.lookup(started.userCode, user, '127.0.0.1')
    assert.isTrue(lookup.ok)
    if (lookup.ok) await deviceService.decide(lookup.request, user, true)

    const response = await client
      .post(urlFor('api.v1.device.token'))
      .header('user-agent', AGENT)
      .json({ device_code: started.deviceCode })
    response.assertStatus(200)
    const [created] = await events()
    assert.deepInclude(created.$attributes, {
      event: 'token.created',
      actorType: 'user',
      userId: user.id,
      tokenId: response.body().token.id,
      userAgent: AGENT,
    })
    assert.equal(created.data.via, 'device')
    assert.notInclude(JSON.stringify(await db.from('audit_events')), started.deviceCode)
  })
})

test.group('Audit hooks: commands', (group) => {
  isolateEachTest(group)

  test('token:create, token:revoke, user:deactivate, user:activate record the CLI', async ({
    assert,
  }) => {
    const user = await makeUser({ username: 'ada' })
    await succeeds('token:create', ['ada', '--quiet'])
    const [token] = await tokenService.list(user)
    await succeeds('token:revoke', [String(token.id)])
    await tokenService.create(user, { name: 'two' })
    await succeeds('token:revoke', ['--user=ada', '--all'])
    await succeeds('user:deactivate', ['ada'])
    await succeeds('user:activate', ['ada'])

    const recorded = await events()
    assert.deepEqual(
      recorded.map((event) => [event.event, event.actorType, event.userId]),
      [
        ['token.obtained', 'cli', user.id],
        ['token.revoked', 'cli', user.id],
        ['token.revoked', 'cli', user.id],
        ['user.deactivated', 'cli', user.id],
        ['user.activated', 'cli', user.id],
      ]
    )
    assert.equal(recorded[1].tokenId, token.id)
  })

  test('user:create records the new user, never the password', async ({ assert }) => {
    const command = await makeCommand('user:create', ['bob', '--staff', '--password-stdin'])
    Object.assign(command, {
      stdin: Object.assign(Readable.from([Buffer.from(PASSWORD)]), { isTTY: false }),
    })
    await command.exec()
    command.assertSucceeded()
    const [created] = await events()
    assert.equal(created.event, 'user.created')
    assert.equal(created.actorType, 'cli')
    assert.deepEqual(created.data, {
      username: 'bob',
      isStaff: true,
      isSuperuser: false,
      isActive: true,
    })
    assert.notInclude(JSON.stringify(await db.from('audit_events')), PASSWORD)
  })

  test('user:password records the change, never the password', async ({ assert }) => {
    const user = await makeUser({ username: 'ada' })
    const command = await makeCommand('user:password', ['ada', '--password-stdin', '--temporary'])
    Object.assign(command, {
      stdin: Object.assign(Readable.from([Buffer.from('a brand new password')]), { isTTY: false }),
    })
    await command.exec()
    command.assertSucceeded()
    const [changed] = await events()
    assert.deepInclude(changed.$attributes, {
      event: 'user.password_changed',
      actorType: 'cli',
      userId: user.id,
    })
    assert.deepEqual(changed.data, { temporary: true, sessionsEnded: 0, tokensRevoked: 0 })
    assert.notInclude(JSON.stringify(await db.from('audit_events')), 'brand new')
  })

  test('drf:import records the run with counts only', async ({ assert }) => {
    await succeeds('drf:import', [sqliteFixture()])
    const recorded = await events()
    assert.deepEqual(
      recorded.map((event) => event.event),
      ['import.run']
    )
    assert.equal(recorded[0].actorType, 'import')
    assert.equal((recorded[0].data.users as { imported: number }).imported, 9)
    await succeeds('drf:import', [sqliteFixture(), '--dry-run'])
    assert.lengthOf(await events(), 1)
  })
})
