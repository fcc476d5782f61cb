import { test } from '@japa/runner'
import { urlFor } from '@adonisjs/core/services/url_builder'
import User from '#models/user'
import userService from '#services/user_service'
import { isolateEachTest } from '#tests/helpers/database'
import { makePageUser, PASSWORD } from './pages_helpers.js'
import { postForm } from '#tests/helpers/pages'

const SESSION_KEY = 'auth_web'

test.group('Pages: sign in', (group) => {
  isolateEachTest(group)

  test('GET /login shows the form with a CSRF field', async ({ client }) => {
    const response = await client.get(urlFor('login'))
    response.assertStatus(200)
    response.assertTextIncludes('<form method="POST" action="/login"')
    response.assertTextIncludes("name='_csrf'")
    response.assertTextIncludes('<label for="username">')
    response.assertTextIncludes('<label for="password">')
  })

  test('right credentials sign in, record the login and go to the dashboard', async ({
    client,
    assert,
  }) => {
    const user = await makePageUser({ username: 'ada' })
    const response = await client
      .post(urlFor('login.store'))
      .form({ username: 'ada', password: PASSWORD })
      .withCsrfToken()
      .redirects(0)

    response.assertStatus(302)
    response.assertHeader('location', '/dashboard')
    response.assertSession(SESSION_KEY, user.id)
    await user.refresh()
    assert.isNotNull(user.lastLoginAt)
  })

  test('the email works as well as the username', async ({ client }) => {
    const user = await makePageUser()
    const response = await client
      .post(urlFor('login.store'))
      .form({ username: user.email, password: PASSWORD })
      .withCsrfToken()
      .redirects(0)
    response.assertHeader('location', '/dashboard')
    response.assertSession(SESSION_KEY, user.id)
  })

  test('signing in regenerates the session id', async ({ client, assert }) => {
    await makePageUser({ username: 'ada' })
    const request = client
      .post(urlFor('login.store'))
      .form({ username: 'ada', password: PASSWORD })
      .withCsrfToken()
      .redirects(0)
    const before = request.sessionClient.sessionId
    const response = await request

    const after = response.cookie('gatehouse-session')?.value
    assert.exists(after)
    assert.notEqual(after, before)
  })

  test('{title}: back to the form with an error, the username kept, no session')
    .with([
      { title: 'wrong password', username: 'ada', password: 'not the password' },
      { title: 'unknown user', username: 'nobody', password: PASSWORD },
      { title: 'inactive user', username: 'sleepy', password: PASSWORD },
      { title: 'over-long password', username: 'ada', password: 'x'.repeat(300) },
    ])
    .run(async ({ client }, { username, password }) => {
      await makePageUser({ username: 'ada' })
      await makePageUser({ username: 'sleepy', isActive: false })

      const response = await client
        .post(urlFor('login.store'))
        .form({ username, password })
        .withCsrfToken()
        .redirects(0)

      response.assertStatus(302)
      response.assertHeader('location', '/login')
      response.assertSessionMissing(SESSION_KEY)
      response.assertFlashMessage('username', username)
      response.assertFlashMessage('errorsBag', {
        E_INVALID_CREDENTIALS: 'Unable to sign in with that username and password.',
      })
    })

  test('the form shows the credentials error and keeps the username, never the password', async ({
    client,
    assert,
  }) => {
    const response = await client.get(urlFor('login')).withFlashMessages({
      username: 'ada',
      errorsBag: { E_INVALID_CREDENTIALS: 'Unable to sign in with that username and password.' },
    })
    response.assertStatus(200)
    response.assertTextIncludes('Unable to sign in with that username and password.')
    response.assertTextIncludes('value="ada"')
    assert.notMatch(response.text(), /type="password"[^>]*value=/)
  })

  test('repeated failures are throttled: the form says so, the right password waits', async ({
    client,
    assert,
  }) => {
    await makePageUser({ username: 'ada' })
    const attempt = (password: string) =>
      client
        .post(urlFor('login.store'))
        .form({ username: 'ada', password })
        .withCsrfToken()
        .redirects(0)

    for (let i = 0; i < 5; i++) {
      const failed = await attempt('wrong password')
      failed.assertFlashMessage('errorsBag', {
        E_INVALID_CREDENTIALS: 'Unable to sign in with that username and password.',
      })
    }
    const blocked = await attempt(PASSWORD)
    blocked.assertStatus(302)
    blocked.assertHeader('location', '/login')
    const errors = blocked.flashMessages().errorsBag as Record<string, string>
    assert.match(errors.E_TOO_MANY_REQUESTS, /^Too many sign-in attempts\. Request was throttled/)
    assert.notProperty(blocked.session(), SESSION_KEY)
  })

  test('empty fields come back as field errors on the form', async ({ client, assert }) => {
    const response = await client
      .post(urlFor('login.store'))
      .form({ username: '', password: '' })
      .withCsrfToken()
      .header('referer', '/login')
      .redirects(0)

    response.assertStatus(302)
    response.assertHeader('location', '/login')
    assert.deepEqual(response.flashMessage('inputErrorsBag'), {
      username: ['Enter your username or email.'],
      password: ['Enter your password.'],
    })

    const page = await client
      .get(urlFor('login'))
      .withFlashMessages({ inputErrorsBag: { username: ['Enter your username or email.'] } })
    page.assertTextIncludes(
      '<p class="field-error" id="username-error">Enter your username or email.</p>'
    )
    page.assertTextIncludes('aria-invalid="true" aria-describedby="username-error"')
  })

  test('a signed-in user visiting /login goes to the dashboard', async ({ client }) => {
    const user = await makePageUser()
    const response = await client.get(urlFor('login')).withGuard('web').loginAs(user).redirects(0)
    response.assertStatus(302)
    response.assertHeader('location', '/dashboard')
  })

  test('POST /login without a CSRF token is refused', async ({ client }) => {
    await makePageUser({ username: 'ada' })
    const response = await client
      .post(urlFor('login.store'))
      .form({ username: 'ada', password: PASSWORD })
      .header('referer', '/login')
      .redirects(0)

    response.assertStatus(302)
    response.assertHeader('location', '/login')
    response.assertSessionMissing(SESSION_KEY)
    response.assertFlashMessage('errorsBag', { E_BAD_CSRF_TOKEN: 'Invalid or expired CSRF token' })
  })
})

test.group('Pages: protected pages and sign out', (group) => {
  isolateEachTest(group)

  test('a guest asking for {$self} is sent to /login, and the page is remembered')
    .with(['/dashboard', '/tokens'])
    .run(async ({ client, assert }, url) => {
      const response = await client.get(url).redirects(0)
      response.assertStatus(302)
      response.assertHeader('location', '/login')
      response.assertSession('redirect.intendedUrl', url)
      assert.property(response.flashMessage('errorsBag'), 'E_UNAUTHORIZED_ACCESS')
    })

  test('…and comes back to that page after signing in', async ({ client }) => {
    await makePageUser({ username: 'ada' })
    const response = await client
      .post(urlFor('login.store'))
      .form({ username: 'ada', password: PASSWORD })
      .withCsrfToken()
      .withSession({ 'redirect.intendedUrl': '/tokens' })
      .redirects(0)
    response.assertStatus(302)
    response.assertHeader('location', '/tokens')
    response.assertSessionMissing('redirect.intendedUrl')
  })

  test('the login page tells a redirected guest to sign in', async ({ client }) => {
    const response = await client.get(urlFor('login')).withFlashMessages({
      errorsBag: { E_UNAUTHORIZED_ACCESS: 'Unauthorized access' },
    })
    response.assertTextIncludes('Please sign in to see that page.')
  })

  test('/dashboard shows "Authenticated user only" with the user details', async ({ client }) => {
    const user = await makePageUser({ username: 'grace' })
    const response = await client.get(urlFor('dashboard')).withGuard('web').loginAs(user)
    response.assertStatus(200)
    response.assertTextIncludes('Authenticated user only')
    response.assertTextIncludes('<dd data-testid="username">grace</dd>')
    response.assertTextIncludes(user.email!)
    response.assertTextIncludes('Signed in as <strong>grace</strong>')
  })

  test('a deactivated user is signed out at the next request', async ({ client }) => {
    const user = await makePageUser()
    await userService.setActive(user, false)
    const response = await client
      .get(urlFor('dashboard'))
      .withGuard('web')
      .loginAs(user)
      .redirects(0)
    response.assertStatus(302)
    response.assertHeader('location', '/login')
  })

  test('a deleted user is signed out at the next request', async ({ client }) => {
    const user = await makePageUser()
    const request = client.get(urlFor('dashboard')).withGuard('web').loginAs(user).redirects(0)
    await User.query().where('id', user.id).delete()
    const response = await request
    response.assertHeader('location', '/login')
  })

  test('POST /logout signs out and goes home', async ({ client }) => {
    const user = await makePageUser()
    const response = await postForm(client, user, urlFor('logout')).redirects(0)
    response.assertStatus(302)
    response.assertHeader('location', '/')
    response.assertSessionMissing(SESSION_KEY)
    response.assertFlashMessage('success', 'You are signed out.')
  })

  test('POST /logout without a CSRF token is refused: still signed in', async ({ client }) => {
    const user = await makePageUser()
    const response = await client
      .post(urlFor('logout'))
      .withGuard('web')
      .loginAs(user)
      .header('referer', '/dashboard')
      .redirects(0)
    response.assertStatus(302)
    response.assertHeader('location', '/dashboard')
    response.assertSession(SESSION_KEY, user.id)
    response.assertFlashMessage('errorsBag', { E_BAD_CSRF_TOKEN: 'Invalid or expired CSRF token' })
  })

  test('GET /logout does not exist (signing out needs a form)', async ({ client }) => {
    const response = await client.get(urlFor('logout')).header('accept', 'text/html')
    response.assertStatus(404)
  })
})
