import { test } from '@japa/runner'
import { urlFor } from '@adonisjs/core/services/url_builder'
import type { Browser } from 'playwright-core'
import userService from '#services/user_service'
import { isolateEachTest } from '#tests/helpers/database'
import { baseUrl, closeContexts, sharedChromium } from './browser_helpers.js'

const PASSWORD = 'correct horse battery'

function callProtected(key: string) {
  return fetch(`${baseUrl()}/api/v1/protected`, { headers: { authorization: `Token ${key}` } })
}

test.group('Browser: the token journey', (group) => {
  isolateEachTest(group)

  let browser: Browser | undefined
  group.teardown(async () => {
    await closeContexts(browser)
  })

  test('sign in → dashboard → get my API token → it works → revoke it → it is refused', async ({
    assert,
  }) => {
    await userService.create({ username: 'ada', email: 'ada@example.com', password: PASSWORD })
    browser = await sharedChromium()
    const context = await browser.newContext({ baseURL: baseUrl() })
    await context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: baseUrl() })
    const page = await context.newPage()

    // Anything the CSP blocks (e.g. a script without the nonce) shows up here.
    const consoleErrors: string[] = []
    page.on('console', (message) => {
      if (message.type() === 'error') consoleErrors.push(message.text())
    })

    // A guest asking for the dashboard is sent to sign in first…
    await page.goto(urlFor('dashboard'))
    assert.equal(new URL(page.url()).pathname, '/login')
    await page.getByLabel('Username or email').fill('ada')
    await page.getByLabel('Password').fill(PASSWORD)
    await page.getByRole('button', { name: 'Sign in' }).click()

    // …and lands on it afterwards.
    await page.waitForURL('**/dashboard')
    await page.getByRole('heading', { name: 'Authenticated user only' }).waitFor()
    assert.equal(await page.getByTestId('username').textContent(), 'ada')
    assert.include(await page.getByTestId('signed-in-as').innerText(), 'ada')

    // Get my API token: the key is shown with a working copy button.
    await page.getByRole('link', { name: 'API tokens', exact: true }).click()
    await page.waitForURL('**/tokens')
    await page.getByRole('button', { name: 'Get my API token' }).click()
    await page.getByTestId('issued-key').waitFor()
    const key = await page.getByTestId('issued-key').inputValue()
    assert.match(key, /^gth_[0-9A-Za-z]{46}$/)
    assert.notInclude(page.url(), key)

    await page.getByRole('button', { name: 'Copy' }).click()
    await page.getByText('Copied to the clipboard.').waitFor()
    assert.equal(await page.evaluate('navigator.clipboard.readText()'), key)

    // The key works on the API.
    const allowed = await callProtected(key)
    assert.equal(allowed.status, 200)
    const body = (await allowed.json()) as { detail: string; user: { username: string } }
    assert.equal(body.detail, 'Authenticated user only')
    assert.equal(body.user.username, 'ada')

    // Revoke it on /tokens: the same key is refused from now on.
    const row = page.getByRole('row', { name: /default/ })
    await row.getByRole('button', { name: /Revoke/ }).click()
    await page.getByText('Token “default” revoked.').waitFor()
    assert.equal(await page.getByText('No tokens yet.').count(), 1)

    const refused = await callProtected(key)
    assert.equal(refused.status, 401)
    assert.deepEqual(await refused.json(), { detail: 'Invalid token.' })

    assert.deepEqual(consoleErrors, [])
  })
})
