import { test } from '@japa/runner'
import { urlFor } from '@adonisjs/core/services/url_builder'
import { DateTime } from 'luxon'
import db from '@adonisjs/lucid/services/db'
import User from '#models/user'
import UserSession from '#models/user_session'
import userSessionService from '#services/user_session_service'
import tokenService from '#services/token_service'
import { isolateEachTest } from '#tests/helpers/database'
import { auditRows, makeAccount, PASSWORD } from './admin_helpers.js'
import { postForm } from '#tests/helpers/pages'

/** Usernames in the order the users table lists them. */
function listed(html: string) {
  return [...html.matchAll(/<a class="token-name" href="\/admin\/users\/\d+">([^<]+)<\/a>/g)].map(
    (match) => match[1]
  )
}

async function signedInAt(user: User, daysAgo: number) {
  user.lastLoginAt = DateTime.now().minus({ days: daysAgo })
  await user.save()
}

test.group('Console: the users list', (group) => {
  isolateEachTest(group)

  test('searches username and email, filters by status, sorts by last sign-in', async ({
    client,
    assert,
  }) => {
    const staff = await makeAccount({ username: 'root', role: 'superuser' })
    const ada = await makeAccount({ username: 'ada', email: 'ada@lovelace.test' })
    const bob = await makeAccount({ username: 'bob', email: 'bob@builder.test' })
    await makeAccount({ username: 'carol', isActive: false })
    const dave = await makeAccount({ username: 'dave_x', role: 'staff' })
    await signedInAt(ada, 10)
    await signedInAt(bob, 1)
    await signedInAt(dave, 5)

    const list = async (qs: Record<string, string>) => {
      const response = await client
        .get(urlFor('admin.users.index'))
        .qs(qs)
        .withGuard('web')
        .loginAs(staff)
      response.assertStatus(200)
      return listed(response.text())
    }

    const all = await client.get(urlFor('admin.users.index')).withGuard('web').loginAs(staff)
    assert.deepEqual(listed(all.text()), ['ada', 'bob', 'carol', 'dave_x', 'root'])
    all.assertTextIncludes('5 users')

    assert.deepEqual(await list({ q: 'LOVELACE' }), ['ada'])
    assert.deepEqual(await list({ q: 'b' }), ['bob'])
    assert.deepEqual(await list({ q: '_' }), ['dave_x'])
    assert.deepEqual(await list({ status: 'inactive' }), ['carol'])
    assert.deepEqual(await list({ status: 'staff' }), ['dave_x', 'root'])
    assert.deepEqual(await list({ status: 'active', q: 'da' }), ['ada', 'dave_x'])

    // Never signed in comes last, whichever way (then oldest account first).
    assert.deepEqual(await list({ sort: '-last_login' }), ['bob', 'dave_x', 'ada', 'root', 'carol'])
    assert.deepEqual(await list({ sort: 'last_login' }), ['ada', 'dave_x', 'bob', 'root', 'carol'])
  })

  test('pages 50 users at a time and keeps the filters in the links', async ({
    client,
    assert,
  }) => {
    const staff = await makeAccount({ username: 'aaa-staff', role: 'staff' })
    const hash = staff.password
    const now = DateTime.now().toFormat(db.connection().dialect.dateTimeFormat)
    await db.table('users').multiInsert(
      Array.from({ length: 55 }, (_, i) => ({
        username: `member${String(i).padStart(2, '0')}`,
        password: hash,
        is_active: true,
        is_staff: false,
        is_superuser: false,
        created_at: now,
      }))
    )

    const first = await client
      .get(urlFor('admin.users.index'))
      .qs({ q: 'member' })
      .withGuard('web')
      .loginAs(staff)
    const names = listed(first.text())
    assert.lengthOf(names, 50)
    assert.equal(names[0], 'member00')
    first.assertTextIncludes('Page 1 of 2')
    first.assertTextIncludes('href="/admin/users?q=member&amp;page=2"')

    const second = await client
      .get(urlFor('admin.users.index'))
      .qs({ q: 'member', page: 2 })
      .withGuard('web')
      .loginAs(staff)
    assert.deepEqual(listed(second.text()), [
      'member50',
      'member51',
      'member52',
      'member53',
      'member54',
    ])
  })

  test('bad filters are a 400 with the reason, never a 500', async ({ client }) => {
    const staff = await makeAccount({ role: 'staff' })
    for (const qs of [{ status: 'deleted' }, { sort: 'password' }, { page: '0' }, { page: 'x' }]) {
      const response = await client
        .get(urlFor('admin.users.index'))
        .qs(qs)
        .withGuard('web')
        .loginAs(staff)
      response.assertStatus(400)
      response.assertTextIncludes('These filters cannot be used')
    }
  })
})

test.group('Console: adding a user', (group) => {
  isolateEachTest(group)

  test('staff add a user through the user service; the event names the staff member', async ({
    client,
    assert,
  }) => {
    const staff = await makeAccount({ role: 'staff' })
    const response = await postForm(client, staff, urlFor('admin.users.store'), {
      username: 'newbie',
      email: 'Newbie@Example.com',
      password: PASSWORD,
      passwordConfirmation: PASSWORD,
    }).redirects(0)
    const user = await User.findByOrFail('username', 'newbie')
    response.assertStatus(302)
    response.assertHeader('location', `/admin/users/${user.id}`)
    assert.equal(user.email, 'newbie@example.com')
    assert.isTrue(user.isActive)
    assert.isFalse(user.isStaff)
    assert.isTrue(await user.verifyPassword(PASSWORD))
    assert.deepEqual(await auditRows(), [['user.created', 'staff', staff.id, user.id]])
  })

  test('only a superuser makes staff; a staff member trying creates nothing', async ({
    client,
    assert,
  }) => {
    const staff = await makeAccount({ role: 'staff' })
    const form = {
      username: 'sidekick',
      password: PASSWORD,
      passwordConfirmation: PASSWORD,
      isStaff: 'on',
    }
    const refused = await postForm(client, staff, urlFor('admin.users.store'), form).redirects(0)
    refused.assertHeader('location', '/admin/users/new')
    refused.assertFlashMessage('error', 'Only a superuser can create staff members or superusers.')
    assert.isNull(await User.findBy('username', 'sidekick'))
    assert.deepEqual(await auditRows(), [])

    const root = await makeAccount({ role: 'superuser' })
    await postForm(client, root, urlFor('admin.users.store'), {
      ...form,
      isSuperuser: 'on',
    }).redirects(0)
    const made = await User.findByOrFail('username', 'sidekick')
    assert.isTrue(made.isStaff)
    assert.isTrue(made.isSuperuser)
  })

  test('bad input is refused with the reason and creates nothing', async ({ client, assert }) => {
    const staff = await makeAccount({ role: 'staff' })
    await makeAccount({ username: 'taken' })
    const cases = [
      {
        form: { username: 'x', password: PASSWORD, passwordConfirmation: 'other' },
        field: 'passwordConfirmation',
      },
      {
        form: { username: '', password: PASSWORD, passwordConfirmation: PASSWORD },
        field: 'username',
      },
      {
        form: { username: 'y', email: 'nope', password: PASSWORD, passwordConfirmation: PASSWORD },
        field: 'email',
      },
    ]
    for (const { form, field } of cases) {
      const response = await postForm(client, staff, urlFor('admin.users.store'), form).redirects(0)
      response.assertStatus(302)
      response.assertFlashMessage('inputErrorsBag', response.flashMessages().inputErrorsBag)
      assert.property(response.flashMessages().inputErrorsBag, field)
    }
    for (const [username, message] of [
      ['taken', 'A user named "taken" already exists.'],
      ['has space', 'Username must be 1-150 characters: letters, digits and @ . + - _ only.'],
    ]) {
      const response = await postForm(client, staff, urlFor('admin.users.store'), {
        username,
        password: PASSWORD,
        passwordConfirmation: PASSWORD,
      }).redirects(0)
      response.assertFlashMessage('error', message)
      assert.notProperty(response.flashMessages(), 'password')
    }
    const short = await postForm(client, staff, urlFor('admin.users.store'), {
      username: 'shorty',
      password: 'short',
      passwordConfirmation: 'short',
    }).redirects(0)
    short.assertFlashMessage('error', 'Password must be at least 8 characters long.')
    assert.lengthOf(await User.all(), 2)
    assert.deepEqual(await auditRows(), [])
  })
})

test.group('Console: activating, deactivating, staff status', (group) => {
  isolateEachTest(group)

  test('deactivation refuses the user’s key and ends their session at the next request', async ({
    client,
    assert,
  }) => {
    const staff = await makeAccount({ role: 'staff' })
    const user = await makeAccount()
    const { value } = await tokenService.create(user, { name: 'laptop' })
    const me = () => client.get(urlFor('api.v1.me')).header('authorization', `Token ${value}`)
    const before = await me()
    before.assertStatus(200)

    const response = await postForm(
      client,
      staff,
      urlFor('admin.users.deactivate', { id: user.id })
    ).redirects(0)
    response.assertHeader('location', `/admin/users/${user.id}`)
    await user.refresh()
    assert.isFalse(user.isActive)

    const api = await me()
    api.assertStatus(401)
    api.assertBody({ detail: 'User inactive or deleted.' })
    const page = await client.get(urlFor('dashboard')).withGuard('web').loginAs(user).redirects(0)
    page.assertStatus(302)
    page.assertHeader('location', '/login')

    await postForm(client, staff, urlFor('admin.users.activate', { id: user.id })).redirects(0)
    await user.refresh()
    assert.isTrue(user.isActive)
    const after = await me()
    after.assertStatus(200)

    assert.deepEqual(await auditRows(), [
      ['user.deactivated', 'staff', staff.id, user.id],
      ['user.activated', 'staff', staff.id, user.id],
    ])
  })

  test('nobody deactivates themselves; staff cannot touch a superuser', async ({
    client,
    assert,
  }) => {
    const staff = await makeAccount({ role: 'staff' })
    const root = await makeAccount({ role: 'superuser' })

    const self = await postForm(
      client,
      staff,
      urlFor('admin.users.deactivate', { id: staff.id })
    ).redirects(0)
    self.assertFlashMessage('error', 'You cannot deactivate your own account.')

    const up = await postForm(
      client,
      staff,
      urlFor('admin.users.deactivate', { id: root.id })
    ).redirects(0)
    up.assertFlashMessage('error', 'Only a superuser can change a superuser’s account or tokens.')

    const rootSelf = await postForm(
      client,
      root,
      urlFor('admin.users.deactivate', { id: root.id })
    ).redirects(0)
    rootSelf.assertFlashMessage('error', 'You cannot deactivate your own account.')

    await staff.refresh()
    await root.refresh()
    assert.isTrue(staff.isActive)
    assert.isTrue(root.isActive)
    assert.deepEqual(await auditRows(), [])
  })

  test('a staff member cannot grant staff, to others or themselves', async ({ client, assert }) => {
    const staff = await makeAccount({ role: 'staff' })
    const user = await makeAccount()
    for (const [target, form] of [
      [user, { isStaff: 'on' }],
      [staff, { isStaff: 'on', isSuperuser: 'on' }],
    ] as const) {
      const response = await postForm(
        client,
        staff,
        urlFor('admin.users.roles', { id: target.id }),
        form
      ).redirects(0)
      response.assertFlashMessage('error', 'Only a superuser can grant or remove staff status.')
    }
    await user.refresh()
    await staff.refresh()
    assert.isFalse(user.isStaff)
    assert.isFalse(staff.isSuperuser)
    const page = await client
      .get(urlFor('admin.users.show', { id: user.id }))
      .withGuard('web')
      .loginAs(staff)
    assert.notInclude(page.text(), 'data-testid="roles-form"')
    assert.deepEqual(await auditRows(), [])
  })

  test('a superuser grants and removes staff and superuser, but cannot demote themselves', async ({
    client,
    assert,
  }) => {
    const root = await makeAccount({ role: 'superuser' })
    const user = await makeAccount()
    const post = (target: User, form: Record<string, string>) =>
      postForm(client, root, urlFor('admin.users.roles', { id: target.id }), form).redirects(0)

    await post(user, { isStaff: 'on' })
    await user.refresh()
    assert.deepEqual([user.isStaff, user.isSuperuser], [true, false])

    await post(user, { isSuperuser: 'on' }) // a superuser is always staff
    await user.refresh()
    assert.deepEqual([user.isStaff, user.isSuperuser], [true, true])

    await post(user, {})
    await user.refresh()
    assert.deepEqual([user.isStaff, user.isSuperuser], [false, false])

    const unchanged = await post(user, {})
    unchanged.assertFlashMessage('success', 'Nothing changed.')

    const self = await post(root, { isStaff: 'on' })
    self.assertFlashMessage('error', 'You cannot remove your own staff or superuser status.')
    await root.refresh()
    assert.isTrue(root.isSuperuser)

    const rows = await auditRows()
    assert.deepEqual(rows, [
      ['user.staff_changed', 'staff', root.id, user.id],
      ['user.staff_changed', 'staff', root.id, user.id],
      ['user.staff_changed', 'staff', root.id, user.id],
    ])
  })

  test('an unknown or malformed user id is a 404', async ({ client }) => {
    const staff = await makeAccount({ role: 'staff' })
    for (const path of ['/admin/users/999999', '/admin/users/abc', '/admin/users/99999999999']) {
      const response = await client.get(path).withGuard('web').loginAs(staff)
      response.assertStatus(404)
    }
    const post = await postForm(
      client,
      staff,
      urlFor('admin.users.deactivate', { id: 999999 })
    ).redirects(0)
    post.assertStatus(404)
  })
})

test.group('Console: a temporary password', (group) => {
  isolateEachTest(group)

  const form = (password: string, extra: Record<string, string> = {}) => ({
    password,
    passwordConfirmation: password,
    ...extra,
  })

  test('staff set one: the user must change it, gets no API token, loses sessions and (if asked) tokens', async ({
    client,
    assert,
  }) => {
    const staff = await makeAccount({ role: 'staff' })
    const user = await makeAccount()
    const { value } = await tokenService.create(user, { name: 'laptop' })
    await userSessionService.start(user)

    const page = await client
      .get(urlFor('admin.users.show', { id: user.id }))
      .withGuard('web')
      .loginAs(staff)
    page.assertStatus(200)
    assert.include(page.text(), 'data-testid="temporary-password-form"')

    const response = await postForm(
      client,
      staff,
      urlFor('admin.users.temporary_password', { id: user.id }),
      form('temporary pass 9', { revokeTokens: 'on' })
    ).redirects(0)
    response.assertHeader('location', `/admin/users/${user.id}`)
    response.assertFlashMessage(
      'success',
      `Temporary password set for “${user.username}”: they must change it at their next sign-in.`
    )

    const fresh = await User.findOrFail(user.id)
    assert.isTrue(fresh.passwordMustChange)
    assert.lengthOf(await UserSession.query().where('user_id', user.id), 0)
    const revoked = await client.get(urlFor('api.v1.me')).header('authorization', `Token ${value}`)
    revoked.assertStatus(401)
    const obtain = await client
      .post('/api-token-auth/')
      .json({ username: user.username, password: 'temporary pass 9' })
    obtain.assertStatus(400)
    assert.deepEqual(Object.keys(obtain.body()), ['non_field_errors'])
    assert.notInclude(obtain.text(), 'temporary pass 9')

    const rows = await auditRows()
    assert.deepInclude(rows, ['user.password_changed', 'staff', staff.id, user.id])
  })

  test('refused: mismatch, too short, oneself, a superuser by plain staff; nothing changes', async ({
    client,
    assert,
  }) => {
    const staff = await makeAccount({ role: 'staff' })
    const root = await makeAccount({ role: 'superuser' })
    const user = await makeAccount()
    const post = (actor: User, target: User, fields: Record<string, string>) =>
      postForm(
        client,
        actor,
        urlFor('admin.users.temporary_password', { id: target.id }),
        fields
      ).redirects(0)

    const mismatch = await post(staff, user, {
      password: 'temporary pass 9',
      passwordConfirmation: 'temporary pass 8',
    })
    mismatch.assertStatus(302)
    const short = await post(staff, user, form('short'))
    short.assertFlashMessage('error', 'Password must be at least 8 characters long.')
    const self = await post(staff, staff, form('temporary pass 9'))
    self.assertFlashMessage('error', 'Change your own password on your account page.')
    const up = await post(staff, root, form('temporary pass 9'))
    up.assertFlashMessage('error', 'Only a superuser can change a superuser’s account or tokens.')

    for (const account of [user, staff, root]) {
      const fresh = await User.findOrFail(account.id)
      assert.isFalse(fresh.passwordMustChange)
      assert.isTrue(await fresh.verifyPassword(PASSWORD))
    }
    assert.deepEqual(await auditRows(), [])
  })
})
