import { test } from '@japa/runner'
import { urlFor } from '@adonisjs/core/services/url_builder'
import hash from '@adonisjs/core/services/hash'
import AccessToken from '#models/access_token'
import User from '#models/user'
import UserSession from '#models/user_session'
import tokenService from '#services/token_service'
import userService, { MUST_CHANGE_PASSWORD } from '#services/user_service'
import userSessionService from '#services/user_session_service'
import { SESSION_RECORD_KEY } from '#guards/recorded_session_guard'
import { isolateEachTest } from '#tests/helpers/database'
import { makePageUser, PASSWORD } from './pages_helpers.js'
import { postForm } from '#tests/helpers/pages'

const NEW_PASSWORD = 'a brand new passphrase'

async function passwordIs(user: User, password: string) {
  const fresh = await User.findOrFail(user.id)
  return hash.verify(fresh.password, password)
}

test.group('Pages: /account, change my password', (group) => {
  isolateEachTest(group)

  const change = (client: any, user: User, fields: Record<string, string>) =>
    postForm(client, user, urlFor('account.password'), fields).redirects(0)

  test('a guest is sent to sign in', async ({ client }) => {
    const response = await client.get(urlFor('account')).redirects(0)
    response.assertHeader('location', '/login')
  })

  test('the page shows the form with a CSRF field', async ({ client }) => {
    const user = await makePageUser()
    const response = await client.get(urlFor('account')).withGuard('web').loginAs(user)
    response.assertStatus(200)
    response.assertTextIncludes('<form method="POST" action="/account/password"')
    response.assertTextIncludes("name='_csrf'")
    response.assertTextIncludes('Also revoke all my API tokens')
  })

  test('a wrong current password changes nothing', async ({ client, assert }) => {
    const user = await makePageUser()
    const other = await userSessionService.start(user)
    await tokenService.create(user, { name: 'ci' })
    const response = await change(client, user, {
      currentPassword: 'not my password',
      newPassword: NEW_PASSWORD,
      newPasswordConfirmation: NEW_PASSWORD,
      revokeTokens: 'true',
    })
    response.assertHeader('location', '/account')
    response.assertFlashMessage('inputErrorsBag', {
      currentPassword: ['Your current password is not correct.'],
    })
    assert.isTrue(await passwordIs(user, PASSWORD))
    assert.lengthOf(await UserSession.query().where('id_hash', '!=', ''), 2)
    assert.lengthOf(await AccessToken.all(), 1)
    assert.isNotNull(other)
  })

  test('{title}: refused, nothing changes, no password kept in the session')
    .with([
      {
        title: 'different new passwords',
        fields: { newPassword: NEW_PASSWORD, newPasswordConfirmation: `${NEW_PASSWORD}!` },
        errors: { newPasswordConfirmation: ['The two new passwords do not match.'] },
      },
      {
        title: 'a new password that is too short',
        fields: { newPassword: 'short', newPasswordConfirmation: 'short' },
        errors: { newPassword: ['Password must be at least 8 characters long.'] },
      },
      {
        title: 'a new password that is too long',
        fields: { newPassword: 'x'.repeat(257), newPasswordConfirmation: 'x'.repeat(257) },
        errors: { newPassword: ['Password must be at most 256 characters long.'] },
      },
      {
        title: 'empty fields',
        fields: { newPassword: '', newPasswordConfirmation: '' },
        current: '',
        errors: {
          currentPassword: ['Enter your current password.'],
          newPassword: ['Enter a new password.'],
        },
      },
    ])
    .run(async ({ client, assert }, { fields, errors, current }) => {
      const user = await makePageUser()
      const response = await change(client, user, {
        currentPassword: current ?? PASSWORD,
        ...fields,
      })
      response.assertHeader('location', '/account')
      assert.deepEqual(response.flashMessage('inputErrorsBag'), errors)
      assert.isTrue(await passwordIs(user, PASSWORD))
      const stored = JSON.stringify(response.session())
      assert.notInclude(stored, PASSWORD)
      if (fields.newPassword) assert.notInclude(stored, fields.newPassword)
    })

  test('success: new password, every other session ends, this one stays', async ({
    client,
    assert,
  }) => {
    const user = await makePageUser()
    const other = await userSessionService.start(user)
    await tokenService.create(user, { name: 'ci' })

    const response = await change(client, user, {
      currentPassword: PASSWORD,
      newPassword: NEW_PASSWORD,
      newPasswordConfirmation: NEW_PASSWORD,
    })
    response.assertHeader('location', '/account')
    response.assertFlashMessage(
      'success',
      'Your password has been changed. 1 other session signed out.'
    )
    assert.isTrue(await passwordIs(user, NEW_PASSWORD))
    assert.lengthOf(await AccessToken.all(), 1, 'tokens stay unless asked')

    const otherPage = await client
      .get(urlFor('dashboard'))
      .withSession({ auth_web: user.id, [SESSION_RECORD_KEY]: other })
      .redirects(0)
    otherPage.assertHeader('location', '/login')
    const thisPage = await client
      .get(urlFor('dashboard'))
      .withSession(response.session())
      .redirects(0)
    thisPage.assertStatus(200)
  })

  test('success with "also revoke my API tokens" revokes them all', async ({ client, assert }) => {
    const user = await makePageUser()
    const someoneElse = await makePageUser()
    await tokenService.create(user, { name: 'ci' })
    await tokenService.getOrCreate(user)
    await tokenService.create(someoneElse, { name: 'theirs' })

    const response = await change(client, user, {
      currentPassword: PASSWORD,
      newPassword: NEW_PASSWORD,
      newPasswordConfirmation: NEW_PASSWORD,
      revokeTokens: 'true',
    })
    response.assertFlashMessage(
      'success',
      'Your password has been changed. 0 other sessions signed out. 2 API tokens revoked.'
    )
    assert.lengthOf(await AccessToken.query().where('tokenable_id', user.id), 0)
    assert.lengthOf(await AccessToken.query().where('tokenable_id', someoneElse.id), 1)
  })

  test('wrong current passwords are throttled like sign-in; the right one then waits', async ({
    client,
    assert,
  }) => {
    const user = await makePageUser()
    for (let i = 0; i < 5; i++) {
      const failed = await change(client, user, {
        currentPassword: 'wrong',
        newPassword: NEW_PASSWORD,
        newPasswordConfirmation: NEW_PASSWORD,
      })
      assert.property(failed.flashMessage('inputErrorsBag'), 'currentPassword')
    }
    const blocked = await change(client, user, {
      currentPassword: PASSWORD,
      newPassword: NEW_PASSWORD,
      newPasswordConfirmation: NEW_PASSWORD,
    })
    blocked.assertHeader('location', '/account')
    const errors = blocked.flashMessages().errorsBag as Record<string, string>
    assert.match(errors.E_TOO_MANY_REQUESTS, /^Too many attempts\. Request was throttled/)
    assert.isTrue(await passwordIs(user, PASSWORD))

    // The same counter as sign-in: the sign-in form is throttled too.
    const signIn = await client
      .post(urlFor('login.store'))
      .form({ username: user.username, password: PASSWORD })
      .withCsrfToken()
      .redirects(0)
    assert.property(signIn.flashMessages().errorsBag, 'E_TOO_MANY_REQUESTS')
  })

  test('POST /account/password without a CSRF token is refused', async ({ client, assert }) => {
    const user = await makePageUser()
    const response = await client
      .post(urlFor('account.password'))
      .form({
        currentPassword: PASSWORD,
        newPassword: NEW_PASSWORD,
        newPasswordConfirmation: NEW_PASSWORD,
      })
      .withGuard('web')
      .loginAs(user)
      .header('referer', '/account')
      .redirects(0)
    response.assertFlashMessage('errorsBag', { E_BAD_CSRF_TOKEN: 'Invalid or expired CSRF token' })
    assert.isTrue(await passwordIs(user, PASSWORD))
  })
})

test.group('Temporary passwords (must be changed at the next sign-in)', (group) => {
  isolateEachTest(group)

  async function temporaryUser() {
    const user = await makePageUser({ username: 'tempo' })
    await userService.setTemporaryPassword(user, PASSWORD)
    return user
  }

  test('setTemporaryPassword sets the flag and ends every session', async ({ assert }) => {
    const user = await makePageUser()
    await userSessionService.start(user)
    await userService.setTemporaryPassword(user, 'temporary pass 1')
    const fresh = await User.findOrFail(user.id)
    assert.isTrue(fresh.passwordMustChange)
    assert.isTrue(await hash.verify(fresh.password, 'temporary pass 1'))
    assert.lengthOf(await UserSession.query().where('user_id', user.id), 0)
  })

  test('signing in goes to /account, and other pages send back there', async ({ client }) => {
    const user = await temporaryUser()
    const signIn = await client
      .post(urlFor('login.store'))
      .form({ username: 'tempo', password: PASSWORD })
      .withCsrfToken()
      .redirects(0)
    signIn.assertHeader('location', '/account')

    for (const url of [urlFor('dashboard'), urlFor('tokens.index'), urlFor('device')]) {
      const page = await client.get(url).withGuard('web').loginAs(user).redirects(0)
      page.assertHeader('location', '/account')
    }
    const tokenForm = await postForm(client, user, urlFor('tokens.mine')).redirects(0)
    tokenForm.assertHeader('location', '/account')

    const account = await client.get(urlFor('account')).withGuard('web').loginAs(user)
    account.assertStatus(200)
    account.assertTextIncludes('data-testid="must-change"')
  })

  test('no API token: POST /api-token-auth/ answers DRF’s 400 with a clear message', async ({
    client,
    assert,
  }) => {
    await temporaryUser()
    const response = await client
      .post('/api-token-auth/')
      .json({ username: 'tempo', password: PASSWORD })
    response.assertStatus(400)
    response.assertBody({ non_field_errors: [MUST_CHANGE_PASSWORD] })
    assert.lengthOf(await AccessToken.all(), 0)
  })

  test('no API token: POST /api/v1/auth/login answers 403 with a clear message', async ({
    client,
    assert,
  }) => {
    await temporaryUser()
    const response = await client
      .post(urlFor('api.v1.auth.login'))
      .json({ username: 'tempo', password: PASSWORD })
    response.assertStatus(403)
    response.assertBody({ detail: MUST_CHANGE_PASSWORD })
    assert.lengthOf(await AccessToken.all(), 0)
  })

  test('a wrong password still gets the usual answer (the flag is not revealed)', async ({
    client,
  }) => {
    await temporaryUser()
    const response = await client
      .post(urlFor('api.v1.auth.login'))
      .json({ username: 'tempo', password: 'wrong password' })
    response.assertStatus(400)
    response.assertBody({ detail: 'Unable to log in with provided credentials.' })
  })

  test('changing it clears the flag: pages and API tokens work again', async ({
    client,
    assert,
  }) => {
    const user = await temporaryUser()
    const response = await postForm(client, user, urlFor('account.password'), {
      currentPassword: PASSWORD,
      newPassword: NEW_PASSWORD,
      newPasswordConfirmation: NEW_PASSWORD,
    })
      .withSession({ 'redirect.intendedUrl': '/tokens' })
      .redirects(0)
    response.assertHeader('location', '/tokens')
    const changed = await User.findOrFail(user.id)
    assert.isFalse(changed.passwordMustChange)

    const page = await client.get(urlFor('dashboard')).withSession(response.session()).redirects(0)
    page.assertStatus(200)
    const login = await client
      .post(urlFor('api.v1.auth.login'))
      .json({ username: 'tempo', password: NEW_PASSWORD })
    login.assertStatus(200)
  })
})
