import { test } from '@japa/runner'
import { urlFor } from '@adonisjs/core/services/url_builder'
import db from '@adonisjs/lucid/services/db'
import { DateTime } from 'luxon'
import app from '@adonisjs/core/services/app'
import { configProvider } from '@adonisjs/core'
import SessionMiddleware from '@adonisjs/session/session_middleware'
import UserSession from '#models/user_session'
import userService from '#services/user_service'
import userSessionService from '#services/user_session_service'
import { SESSION_RECORD_KEY } from '#guards/recorded_session_guard'
import { isolateEachTest } from '#tests/helpers/database'
import { rawRequest } from '#tests/helpers/http'
import { makePageUser, PASSWORD } from './pages_helpers.js'
import { postForm } from '#tests/helpers/pages'

/**
 * Runs the pages with the cookie session store (the production default),
 * where the whole session lives in the browser's cookie: the case where a
 * copied cookie used to outlive sign-out.
 */
async function withCookieStore(callback: () => Promise<void>) {
  const config = await configProvider.resolve<any>(app, app.config.get('session'))
  const emitter = await app.container.make('emitter')
  app.container.swap(
    SessionMiddleware,
    () => new SessionMiddleware({ ...config, store: 'cookie' }, emitter)
  )
  try {
    await callback()
  } finally {
    app.container.restore(SessionMiddleware)
  }
}

/** A browser without a cookie library: the cookies it holds, as one Cookie header. */
class Browser {
  cookies = new Map<string, string>()

  async request(path: string, init: RequestInit = {}) {
    const response = await rawRequest(path, {
      ...init,
      redirect: 'manual',
      headers: { ...(init.headers as any), cookie: this.header() },
    })
    for (const line of response.headers.getSetCookie()) {
      const [pair] = line.split(';')
      const [name, ...value] = pair.split('=')
      if (/max-age=0|expires=thu, 01 jan 1970/i.test(line)) this.cookies.delete(name)
      else this.cookies.set(name, value.join('='))
    }
    return response
  }

  /** Submits a form of the page at `page` (with that page's CSRF token). */
  async submit(page: string, action: string, fields: Record<string, string> = {}) {
    const form = await this.request(page)
    const html = await form.text()
    const csrf = html.match(/name='_csrf' value='([^']+)'/)![1]
    return this.request(action, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ _csrf: csrf, ...fields }).toString(),
    })
  }

  /** GET `path`: where a redirect goes, else the status ("200" for the page). */
  async visit(path: string) {
    const response = await this.request(path)
    return response.status === 302 ? response.headers.get('location') : String(response.status)
  }

  header() {
    return [...this.cookies].map(([name, value]) => `${name}=${value}`).join('; ')
  }
}

test.group('Browser sessions: sign-out ends every copy of a cookie', (group) => {
  isolateEachTest(group)

  test('cookie store: cookies copied before POST /logout no longer sign in', async ({ assert }) => {
    await makePageUser({ username: 'ada' })
    await withCookieStore(async () => {
      const browser = new Browser()
      const signIn = await browser.submit(urlFor('login'), urlFor('login.store'), {
        username: 'ada',
        password: PASSWORD,
      })
      assert.equal(signIn.headers.get('location'), '/dashboard')
      assert.equal(await browser.visit(urlFor('tokens.index')), '200')

      const copied = browser.header()
      const signOut = await browser.submit(urlFor('dashboard'), urlFor('logout'))
      assert.equal(signOut.headers.get('location'), '/')

      const replay = await rawRequest(urlFor('tokens.index'), {
        headers: { cookie: copied },
        redirect: 'manual',
      })
      assert.equal(replay.status, 302)
      assert.equal(replay.headers.get('location'), '/login')
      assert.lengthOf(await UserSession.all(), 0)
    })
  })

  test('cookie store: "sign out of every browser" ends a copied cookie too', async ({ assert }) => {
    await makePageUser({ username: 'ada' })
    await withCookieStore(async () => {
      const laptop = new Browser()
      const phone = new Browser()
      await laptop.submit(urlFor('login'), urlFor('login.store'), {
        username: 'ada',
        password: PASSWORD,
      })
      await phone.submit(urlFor('login'), urlFor('login.store'), {
        username: 'ada',
        password: PASSWORD,
      })
      assert.equal(await phone.visit(urlFor('dashboard')), '200')

      const ended = await laptop.submit(urlFor('account'), urlFor('account.sessions.end'), {
        scope: 'all',
      })
      assert.equal(ended.headers.get('location'), '/login')
      assert.equal(await phone.visit(urlFor('dashboard')), '/login')
      assert.equal(await laptop.visit(urlFor('dashboard')), '/login')
    })
  })

  test('signing in records the browser (hashed id, IP, user agent); signing out deletes it', async ({
    client,
    assert,
  }) => {
    const user = await makePageUser({ username: 'ada' })
    const response = await client
      .post(urlFor('login.store'))
      .form({ username: 'ada', password: PASSWORD })
      .withCsrfToken()
      .header('user-agent', 'Firefox/999')
      .redirects(0)
    const id = response.session()[SESSION_RECORD_KEY] as string
    assert.match(id, /^[\w-]{43}$/)

    const [record] = await UserSession.query().where('user_id', user.id)
    assert.equal(record.userAgent, 'Firefox/999')
    assert.equal(record.ip, '127.0.0.1')
    assert.notEqual(record.idHash, id)
    assert.notInclude(record.idHash, id)

    const signOut = await client
      .post(urlFor('logout'))
      .withSession(response.session())
      .withCsrfToken()
      .redirects(0)
    signOut.assertHeader('location', '/')
    assert.lengthOf(await UserSession.query().where('user_id', user.id), 0)
  })

  test('a session without its record (e.g. from before records existed) is signed out', async ({
    client,
  }) => {
    const user = await makePageUser()
    const response = await client
      .get(urlFor('dashboard'))
      .withSession({ auth_web: user.id })
      .redirects(0)
    response.assertStatus(302)
    response.assertHeader('location', '/login')
  })

  test("a record does not sign in another user's session", async ({ client }) => {
    const ada = await makePageUser()
    const bob = await makePageUser()
    const adaRecord = await userSessionService.start(ada)
    const response = await client
      .get(urlFor('dashboard'))
      .withSession({ auth_web: bob.id, [SESSION_RECORD_KEY]: adaRecord })
      .redirects(0)
    response.assertHeader('location', '/login')
  })

  test('"sign out of other browsers" keeps this one', async ({ client, assert }) => {
    const user = await makePageUser()
    const other = await userSessionService.start(user)
    const response = await postForm(client, user, urlFor('account.sessions.end'), {
      scope: 'others',
    }).redirects(0)
    response.assertHeader('location', '/account')
    response.assertFlashMessage('success', '1 other session signed out.')
    assert.lengthOf(await UserSession.query().where('user_id', user.id), 1)

    const otherPage = await client
      .get(urlFor('dashboard'))
      .withSession({ auth_web: user.id, [SESSION_RECORD_KEY]: other })
      .redirects(0)
    otherPage.assertHeader('location', '/login')
    const thisPage = await client
      .get(urlFor('account'))
      .withSession(response.session())
      .redirects(0)
    thisPage.assertStatus(200)
  })

  test('an unknown scope is refused and ends nothing', async ({ client, assert }) => {
    const user = await makePageUser()
    await userSessionService.start(user)
    const response = await postForm(client, user, urlFor('account.sessions.end'), {
      scope: 'everything',
    })
      .header('referer', '/account')
      .redirects(0)
    response.assertHeader('location', '/account')
    assert.lengthOf(await UserSession.query().where('user_id', user.id), 2)
  })

  test('deactivation ends every session, and reactivation does not bring them back', async ({
    client,
    assert,
  }) => {
    const user = await makePageUser()
    const id = await userSessionService.start(user)
    await userService.setActive(user, false)
    assert.lengthOf(await UserSession.query().where('user_id', user.id), 0)

    await userService.setActive(user, true)
    const response = await client
      .get(urlFor('dashboard'))
      .withSession({ auth_web: user.id, [SESSION_RECORD_KEY]: id })
      .redirects(0)
    response.assertHeader('location', '/login')
  })

  test('a session idle for longer than the session age is over, and forgotten', async ({
    client,
    assert,
  }) => {
    const user = await makePageUser()
    const idle = await userSessionService.start(user)
    const past = DateTime.now().minus({ hours: 3 })
    await db
      .from('user_sessions')
      .update({ last_seen_at: past.toFormat(db.connection().dialect.dateTimeFormat) })

    const response = await client
      .get(urlFor('dashboard'))
      .withSession({ auth_web: user.id, [SESSION_RECORD_KEY]: idle })
      .redirects(0)
    response.assertHeader('location', '/login')

    await userSessionService.start(user)
    assert.lengthOf(await UserSession.all(), 1, 'the idle record is deleted at the next sign-in')
  })

  test('/account lists my browsers and marks this one', async ({ client }) => {
    const user = await makePageUser()
    await userSessionService.start(user, { userAgent: 'Other Browser/1.0', ip: '192.0.2.7' })
    const response = await client.get(urlFor('account')).withGuard('web').loginAs(user)
    response.assertStatus(200)
    response.assertHeader('cache-control', 'no-store')
    response.assertTextIncludes('Other Browser/1.0')
    response.assertTextIncludes('192.0.2.7')
    response.assertTextIncludes('This browser')
    response.assertTextIncludes('2 browsers')
  })
})
