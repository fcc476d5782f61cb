import { test } from '@japa/runner'
import { urlFor } from '@adonisjs/core/services/url_builder'
import app from '@adonisjs/core/services/app'
import encryption from '@adonisjs/core/services/encryption'
import { SessionCollection } from '@adonisjs/session'
import gatehouse from '#config/gatehouse'
import AccessToken from '#models/access_token'
import { isolateEachTest } from '#tests/helpers/database'
import { rawRequest } from '#tests/helpers/http'
import { insertTokens } from '#tests/helpers/factories'
import { makePageUser, PASSWORD } from './pages_helpers.js'

/**
 * A browser with a cookie jar, over real HTTP: what an attacker who copied
 * the cookies would replay. Redirects are not followed.
 */
class Browser {
  cookies = new Map<string, string>()
  /** Every Set-Cookie value the server sent, in order. */
  setCookies: string[] = []

  async request(method: 'GET' | 'POST', path: string, form?: Record<string, string>) {
    const response = await rawRequest(path, {
      method,
      redirect: 'manual',
      headers: {
        accept: 'text/html',
        cookie: [...this.cookies].map(([name, value]) => `${name}=${value}`).join('; '),
        ...(form ? { 'content-type': 'application/x-www-form-urlencoded' } : {}),
      },
      body: form ? new URLSearchParams(form).toString() : undefined,
    })
    for (const header of response.headers.getSetCookie()) {
      this.setCookies.push(header)
      const [pair] = header.split(';')
      const index = pair.indexOf('=')
      this.cookies.set(pair.slice(0, index), pair.slice(index + 1))
    }
    return { response, html: await response.text() }
  }

  async csrf(path: string) {
    const { html } = await this.request('GET', path)
    const token = /name='_csrf' value='([^']+)'/.exec(html)?.[1]
    if (!token) throw new Error(`no CSRF field on ${path}`)
    return token
  }

  async signIn(username: string) {
    const csrf = await this.csrf(urlFor('login'))
    const { response } = await this.request('POST', urlFor('login.store'), {
      _csrf: csrf,
      username,
      password: PASSWORD,
    })
    if (response.status !== 302) throw new Error(`sign-in failed (${response.status})`)
  }
}

/**
 * What the server keeps about this browser, decoded: every cookie (signed
 * ones unsigned, encrypted ones decrypted, as the cookie session store keeps
 * its data) and the server-side session data (memory or Redis store).
 */
async function serverSideState(cookies: Map<string, string>) {
  const decoded: unknown[] = []
  for (const [name, raw] of cookies) {
    const value = decodeURIComponent(raw)
    if (value.startsWith('s:')) {
      decoded.push(encryption.getMessageVerifier().unsign(value.slice(2), name))
    } else if (value.startsWith('e:')) {
      decoded.push(encryption.decrypt(value.slice(2), name))
    } else {
      decoded.push(value)
    }
  }
  const sessionId = decoded[[...cookies.keys()].indexOf('gatehouse-session')]
  if (typeof sessionId === 'string') {
    const sessions = await app.container.make(SessionCollection)
    decoded.push(await sessions.get(sessionId))
  }
  return JSON.stringify(decoded)
}

function keysIn(text: string) {
  return text.match(new RegExp(`${gatehouse.tokens.prefix}[A-Za-z0-9_]{20,}`, 'g')) ?? []
}

test.group('Pages: a new key is shown once, in the answer that created it', (group) => {
  isolateEachTest(group)

  test('"Create token" renders the key in its own answer (no-store, no redirect); replaying the cookies does not show it', async ({
    assert,
  }) => {
    const user = await makePageUser()
    const browser = new Browser()
    await browser.signIn(user.username)
    const before = new Map(browser.cookies)

    const csrf = await browser.csrf(urlFor('tokens.index'))
    const created = await browser.request('POST', urlFor('tokens.store'), {
      _csrf: csrf,
      name: 'CI deploy',
      abilities: '*',
      expiresIn: '7d',
    })
    assert.equal(created.response.status, 200)
    assert.equal(created.response.headers.get('cache-control'), 'no-store')
    assert.isNull(created.response.headers.get('location'))
    const key = keysIn(created.html)[0] ?? 'no key on the page'
    assert.match(key, /^gth_/, 'the key is on the page that answered the POST')
    assert.include(created.html, 'this is the only time it is shown')
    const token = await AccessToken.findByOrFail('name', 'CI deploy')
    assert.equal(token.tokenableId, user.id)

    // Never in a cookie the server set.
    for (const header of browser.setCookies) assert.notInclude(header, key)

    // Replaying the cookies, old and new: the key is not shown again.
    for (const cookies of [browser.cookies, before]) {
      const replay = new Browser()
      replay.cookies = new Map(cookies)
      const again = await replay.request('GET', urlFor('tokens.index'))
      assert.equal(again.response.status, 200)
      assert.include(again.html, 'CI deploy')
      assert.notInclude(again.html, key)
      assert.lengthOf(keysIn(again.html), 0)
    }

    // Nor in the session, whatever its store.
    const state = await serverSideState(browser.cookies)
    assert.include(state, 'auth_web', 'the session data was read')
    assert.notInclude(state, key)
  })

  test('"Get my API token" renders the key in its own answer too, never through the session', async ({
    assert,
  }) => {
    const user = await makePageUser()
    const browser = new Browser()
    await browser.signIn(user.username)

    const csrf = await browser.csrf(urlFor('tokens.index'))
    const mine = await browser.request('POST', urlFor('tokens.mine'), { _csrf: csrf })
    assert.equal(mine.response.status, 200)
    assert.equal(mine.response.headers.get('cache-control'), 'no-store')
    const key = keysIn(mine.html)[0] ?? 'no key on the page'
    assert.match(key, /^gth_/)

    for (const header of browser.setCookies) assert.notInclude(header, key)
    const again = await browser.request('GET', urlFor('tokens.index'))
    assert.notInclude(again.html, key)
    const state = await serverSideState(browser.cookies)
    assert.include(state, 'auth_web', 'the session data was read')
    assert.notInclude(state, key)
  })

  test('at tokens.maxPerUser the page shows an error and creates nothing', async ({ assert }) => {
    const user = await makePageUser()
    await insertTokens(user, gatehouse.tokens.maxPerUser)
    const browser = new Browser()
    await browser.signIn(user.username)

    const csrf = await browser.csrf(urlFor('tokens.index'))
    const refused = await browser.request('POST', urlFor('tokens.store'), {
      _csrf: csrf,
      name: 'one too many',
      abilities: '*',
      expiresIn: '7d',
    })
    assert.equal(refused.response.status, 302)
    const page = await browser.request('GET', urlFor('tokens.index'))
    assert.include(
      page.html,
      `You already have ${gatehouse.tokens.maxPerUser} live tokens, the most one user may hold.`
    )
    assert.isNull(await AccessToken.findBy('name', 'one too many'))
  })
})
