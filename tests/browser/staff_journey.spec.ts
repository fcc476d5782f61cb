import { test } from '@japa/runner'
import { urlFor } from '@adonisjs/core/services/url_builder'
import type { Browser } from 'playwright-core'
import { DateTime } from 'luxon'
import audit from '#services/audit_service'
import tokenService from '#services/token_service'
import userService from '#services/user_service'
import { isolateEachTest } from '#tests/helpers/database'
import { baseUrl, closeContexts, sharedChromium } from './browser_helpers.js'

const PASSWORD = 'correct horse battery'

function callProtected(key: string) {
  return fetch(`${baseUrl()}/api/v1/protected`, { headers: { authorization: `Token ${key}` } })
}

test.group('Browser: a staff journey in the console', (group) => {
  isolateEachTest(group)

  let browser: Browser | undefined
  group.teardown(async () => {
    await closeContexts(browser)
  })

  test('sign in as staff → find a user → revoke their token → the key gets 401', async ({
    assert,
  }) => {
    await userService.create({
      username: 'root',
      password: PASSWORD,
      isStaff: true,
      isSuperuser: true,
    })
    const ada = await userService.create({
      username: 'ada',
      email: 'ada@lovelace.test',
      password: PASSWORD,
    })
    await userService.create({ username: 'bob', email: 'bob@builder.test', password: PASSWORD })
    ada.lastLoginAt = DateTime.now().minus({ hours: 3 })
    await ada.save()
    const laptop = await tokenService.create(ada, { name: 'laptop', expiresIn: '30d' })
    await tokenService.create(ada, {
      name: 'CI deploy',
      abilities: ['tokens:read'],
      expiresIn: '7d',
    })
    const actor = { type: 'user' as const, id: ada.id }
    await audit.record({
      event: 'sign_in.succeeded',
      actor,
      userId: ada.id,
      ip: '203.0.113.24',
      userAgent: 'Mozilla/5.0 (X11; Linux x86_64) Firefox/133.0',
    })
    await audit.record({
      event: 'token.created',
      actor,
      userId: ada.id,
      tokenId: laptop.token.id,
      ip: '203.0.113.24',
      data: { name: 'laptop', hint: laptop.token.hint },
    })
    const allowed = await callProtected(laptop.value)
    assert.equal(allowed.status, 200)

    browser = await sharedChromium()
    const page = await browser.newPage({
      baseURL: baseUrl(),
      viewport: { width: 1280, height: 900 },
    })
    const consoleErrors: string[] = []
    page.on('console', (message) => {
      if (message.type() === 'error') consoleErrors.push(message.text())
    })

    await page.goto(urlFor('login'))
    await page.getByLabel('Username or email').fill('root')
    await page.getByLabel('Password').fill(PASSWORD)
    await page.getByRole('button', { name: 'Sign in' }).click()
    await page.waitForURL('**/dashboard')

    // The Admin link leads to the users list; search finds ada by her email.
    await page.getByRole('link', { name: 'Admin', exact: true }).click()
    await page.waitForURL('**/admin/users')
    await page.getByLabel('Username or email').fill('lovelace')
    await page.getByRole('button', { name: 'Search' }).click()
    await page.waitForURL('**/admin/users?q=lovelace**')
    assert.equal(await page.getByTestId('users-table').locator('tbody tr').count(), 1)
    await page.getByRole('link', { name: 'ada', exact: true }).click()
    await page.getByTestId('admin-username').waitFor()
    assert.equal(await page.getByTestId('admin-username').textContent(), 'ada')

    // Her tokens show hints, never keys; her recent events are there.
    const tokens = page.getByTestId('user-tokens')
    assert.equal(await tokens.locator('tbody tr').count(), 2)
    assert.notInclude(await page.content(), laptop.value)
    await page.getByText('Signed in', { exact: true }).waitFor()
    if (process.env.CONSOLE_SCREENSHOT) {
      await page.screenshot({ path: process.env.CONSOLE_SCREENSHOT, fullPage: true })
    }

    // Revoke "laptop": the page says so and the key is refused from now on.
    await tokens
      .getByRole('row', { name: /laptop/ })
      .getByRole('button', { name: /Revoke/ })
      .click()
    await page.getByText('Token “laptop” of “ada” revoked.').waitFor()
    assert.equal(await page.getByTestId('user-tokens').locator('tbody tr').count(), 1)

    const refused = await callProtected(laptop.value)
    assert.equal(refused.status, 401)
    assert.deepEqual(await refused.json(), { detail: 'Invalid token.' })

    // The revocation is in her events, done by a staff member.
    await page.getByText('Token revoked “laptop”').waitFor()
    assert.deepEqual(consoleErrors, [])
  })
})
