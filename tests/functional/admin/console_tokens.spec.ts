import { test } from '@japa/runner'
import { urlFor } from '@adonisjs/core/services/url_builder'
import { DateTime } from 'luxon'
import db from '@adonisjs/lucid/services/db'
import AccessToken from '#models/access_token'
import AuditEvent from '#models/audit_event'
import audit from '#services/audit_service'
import tokenService from '#services/token_service'
import { isolateEachTest } from '#tests/helpers/database'
import { expireToken } from '#tests/helpers/factories'
import { auditRows, makeAccount } from './admin_helpers.js'
import { postForm } from '#tests/helpers/pages'

function stamp(value: DateTime) {
  return value.toFormat(db.connection().dialect.dateTimeFormat)
}

/** Token ids in the order a console table lists them. */
function rows(html: string) {
  return [...html.matchAll(/<tr data-token-id="(\d+)">/g)].map((match) => Number(match[1]))
}

test.group('Console: a user’s page', (group) => {
  isolateEachTest(group)

  test('details, every token with its hint and never its key, and recent events', async ({
    client,
    assert,
  }) => {
    const staff = await makeAccount({ role: 'staff' })
    const user = await makeAccount({ username: 'ada' })
    const mine = await tokenService.getOrCreate(user)
    const ci = await tokenService.create(user, { name: 'CI deploy', abilities: ['tokens:read'] })
    const old = await tokenService.create(user, { name: 'old laptop' })
    await expireToken(old.token.id)
    await db.from('auth_access_tokens').where('id', ci.token.id).update({ source: 'drf' })
    await audit.record({
      event: 'sign_in.failed',
      actor: { type: 'user', id: user.id },
      userId: user.id,
      ip: '203.0.113.5',
    })

    const response = await client
      .get(urlFor('admin.users.show', { id: user.id }))
      .withGuard('web')
      .loginAs(staff)
    response.assertStatus(200)
    response.assertHeader('cache-control', 'no-store')
    const html = response.text()
    assert.include(html, 'data-testid="admin-username">ada</h1>')
    assert.include(html, 'ada@example.com')
    assert.sameMembers(rows(html), [mine.token.id, ci.token.id, old.token.id])
    for (const issued of [mine, ci, old]) {
      assert.include(html, `${issued.token.hint}…`)
      assert.notInclude(html, issued.value)
    }
    const stored = await AccessToken.findOrFail(mine.token.id)
    assert.notInclude(html, stored.encryptedSecret!)
    assert.include(html, '<span class="chip">tokens:read</span>')
    assert.include(html, '<span class="badge badge-expired">Expired</span>')
    assert.include(html, '<td data-label="Source">DRF import</td>')
    assert.include(html, 'Sign-in refused')
    assert.include(html, 'by the user · from 203.0.113.5')
  })

  test('revoke one token, then all: each recorded with the staff member as actor', async ({
    client,
    assert,
  }) => {
    const staff = await makeAccount({ role: 'staff' })
    const user = await makeAccount()
    const one = await tokenService.create(user, { name: 'one' })
    const two = await tokenService.create(user, { name: 'two' })
    const three = await tokenService.create(user, { name: 'three' })

    const revoked = await postForm(
      client,
      staff,
      urlFor('admin.tokens.revoke', { id: one.token.id }),
      {
        returnTo: `/admin/users/${user.id}`,
      }
    ).redirects(0)
    revoked.assertHeader('location', `/admin/users/${user.id}`)
    revoked.assertFlashMessage(
      'success',
      `Token “one” of “${user.username}” revoked. Requests using it are now refused.`
    )
    const refused = await client
      .get(urlFor('api.v1.me'))
      .header('authorization', `Token ${one.value}`)
    refused.assertStatus(401)

    const unconfirmed = await postForm(
      client,
      staff,
      urlFor('admin.users.revoke_all', { id: user.id })
    ).redirects(0)
    unconfirmed.assertStatus(302)
    assert.lengthOf(await tokenService.list(user), 2)

    const all = await postForm(client, staff, urlFor('admin.users.revoke_all', { id: user.id }), {
      confirm: 'on',
    }).redirects(0)
    all.assertFlashMessage('success', `2 tokens of “${user.username}” revoked.`)
    assert.lengthOf(await tokenService.list(user), 0)
    for (const key of [two.value, three.value]) {
      const response = await client.get(urlFor('api.v1.me')).header('authorization', `Token ${key}`)
      response.assertStatus(401)
    }

    assert.deepEqual(await auditRows(), [
      ['token.revoked', 'staff', staff.id, user.id],
      ['token.revoked', 'staff', staff.id, user.id],
    ])
    const page = await client
      .get(urlFor('admin.users.show', { id: user.id }))
      .withGuard('web')
      .loginAs(staff)
    page.assertTextIncludes(`by staff ${staff.username}`)
    page.assertTextIncludes('All tokens revoked (2)')
    const [first] = await AuditEvent.query().orderBy('id')
    assert.equal(first.tokenId, one.token.id)
    assert.deepEqual(first.data, { name: 'one', hint: one.token.hint })
  })

  test('a staff member cannot revoke a superuser’s tokens', async ({ client, assert }) => {
    const staff = await makeAccount({ role: 'staff' })
    const root = await makeAccount({ role: 'superuser' })
    const key = await tokenService.create(root, { name: 'root key' })
    const response = await postForm(
      client,
      staff,
      urlFor('admin.tokens.revoke', { id: key.token.id })
    ).redirects(0)
    response.assertFlashMessage(
      'error',
      'Only a superuser can change a superuser’s account or tokens.'
    )
    const all = await postForm(client, staff, urlFor('admin.users.revoke_all', { id: root.id }), {
      confirm: 'on',
    }).redirects(0)
    all.assertFlashMessage('error', 'Only a superuser can change a superuser’s account or tokens.')
    assert.lengthOf(await tokenService.list(root), 1)
    assert.deepEqual(await auditRows(), [])
  })

  test('an unknown token, and a return address outside the console, are handled', async ({
    client,
    assert,
  }) => {
    const staff = await makeAccount({ role: 'staff' })
    const response = await postForm(client, staff, urlFor('admin.tokens.revoke', { id: 424242 }), {
      returnTo: 'https://evil.example/admin',
    }).redirects(0)
    response.assertHeader('location', '/admin/tokens')
    response.assertFlashMessage('error', 'That token does not exist or was already revoked.')
    assert.deepEqual(await auditRows(), [])
  })
})

test.group('Console: live tokens across users', (group) => {
  isolateEachTest(group)

  test('lists live tokens only, filtered by user, source, expiry and disuse', async ({
    client,
    assert,
  }) => {
    const staff = await makeAccount({ role: 'staff' })
    const ada = await makeAccount({ username: 'ada' })
    const bob = await makeAccount({ username: 'bob', email: 'bob@builder.test' })
    const soon = await tokenService.create(ada, { name: 'soon', expiresIn: '2d' })
    const later = await tokenService.create(ada, { name: 'later', expiresIn: '60d' })
    const forever = await tokenService.create(bob, { name: 'forever', expiresIn: null })
    const imported = await tokenService.create(bob, { name: 'imported', expiresIn: null })
    const gone = await tokenService.create(bob, { name: 'gone' })
    await expireToken(gone.token.id)
    await db.from('auth_access_tokens').where('id', imported.token.id).update({ source: 'drf' })
    const now = DateTime.now()
    // soon: used an hour ago; later: used 40 days ago; forever: never, created 100 days ago.
    await db
      .from('auth_access_tokens')
      .where('id', soon.token.id)
      .update({ last_used_at: stamp(now.minus({ hours: 1 })) })
    await db
      .from('auth_access_tokens')
      .where('id', later.token.id)
      .update({ last_used_at: stamp(now.minus({ days: 40 })) })
    await db
      .from('auth_access_tokens')
      .where('id', forever.token.id)
      .update({ created_at: stamp(now.minus({ days: 100 })) })

    const list = async (qs: Record<string, string | number>) => {
      const response = await client
        .get(urlFor('admin.tokens.index'))
        .qs(qs)
        .withGuard('web')
        .loginAs(staff)
      response.assertStatus(200)
      return rows(response.text())
    }

    // Live only, soonest to expire first, never-expiring last.
    assert.deepEqual(await list({}), [
      soon.token.id,
      later.token.id,
      forever.token.id,
      imported.token.id,
    ])
    assert.deepEqual(await list({ user: 'ada' }), [soon.token.id, later.token.id])
    assert.deepEqual(await list({ user: 'bob@builder.test' }), [
      forever.token.id,
      imported.token.id,
    ])
    assert.deepEqual(await list({ user: 'nobody' }), [])
    assert.deepEqual(await list({ source: 'drf' }), [imported.token.id])
    assert.deepEqual(await list({ source: 'native', user: 'bob' }), [forever.token.id])
    assert.deepEqual(await list({ expiring: 7 }), [soon.token.id])
    assert.deepEqual(await list({ expiring: 90 }), [soon.token.id, later.token.id])
    assert.deepEqual(await list({ unused: 30 }), [later.token.id, forever.token.id])
    assert.deepEqual(await list({ unused: 30, user: '', source: '' }), [
      later.token.id,
      forever.token.id,
    ])

    const page = await client.get(urlFor('admin.tokens.index')).withGuard('web').loginAs(staff)
    const html = page.text()
    page.assertHeader('cache-control', 'no-store')
    assert.include(html, '4 live tokens')
    for (const issued of [soon, later, forever, imported]) assert.notInclude(html, issued.value)
  })

  test('revoking from the list goes back to the same filtered list', async ({ client, assert }) => {
    const staff = await makeAccount({ role: 'staff' })
    const user = await makeAccount({ username: 'ada' })
    const key = await tokenService.create(user, { name: 'ci' })

    const page = await client
      .get(urlFor('admin.tokens.index'))
      .qs({ user: 'ada' })
      .withGuard('web')
      .loginAs(staff)
    assert.include(page.text(), 'name="returnTo" value="/admin/tokens?user=ada"')

    const response = await postForm(
      client,
      staff,
      urlFor('admin.tokens.revoke', { id: key.token.id }),
      {
        returnTo: '/admin/tokens?user=ada',
      }
    ).redirects(0)
    response.assertHeader('location', '/admin/tokens?user=ada')
    assert.isNull(await AccessToken.find(key.token.id))
    assert.deepEqual(await auditRows(), [['token.revoked', 'staff', staff.id, user.id]])
  })

  test('bad filters are a 400 with the reason', async ({ client }) => {
    const staff = await makeAccount({ role: 'staff' })
    for (const qs of [
      { source: 'ldap' },
      { expiring: 0 },
      { unused: 'many' },
      { expiring: 99999 },
    ]) {
      const response = await client
        .get(urlFor('admin.tokens.index'))
        .qs(qs)
        .withGuard('web')
        .loginAs(staff)
      response.assertStatus(400)
      response.assertTextIncludes('These filters cannot be used')
    }
  })
})
