import { test } from '@japa/runner'
import { urlFor } from '@adonisjs/core/services/url_builder'
import type { Browser } from 'playwright-core'
import db from '@adonisjs/lucid/services/db'
import userService from '#services/user_service'
import { isolateEachTest } from '#tests/helpers/database'
import { baseUrl, closeContexts, sharedChromium } from './browser_helpers.js'

const PASSWORD = 'correct horse battery'
const GRANT = 'urn:ietf:params:oauth:grant-type:device_code'

async function post(path: string, body: Record<string, unknown>) {
  const response = await fetch(`${baseUrl()}${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  })
  return { status: response.status, body: (await response.json()) as any }
}

test.group('Browser: approving a device sign-in', (group) => {
  isolateEachTest(group)

  let browser: Browser | undefined
  group.teardown(async () => {
    await closeContexts(browser)
  })

  test('a tool asks → sign in → confirm the code → approve → the tool gets its token', async ({
    assert,
  }) => {
    await userService.create({ username: 'ada', email: 'ada@example.com', password: PASSWORD })
    const started = await post(urlFor('api.v1.device.authorize'), {
      name: 'ada-cli',
      abilities: ['profile:read', 'tokens:read'],
    })
    assert.equal(started.status, 200)
    const pending = await post(urlFor('api.v1.device.token'), {
      grant_type: GRANT,
      device_code: started.body.device_code,
    })
    assert.equal(pending.body.error, 'authorization_pending')

    browser = await sharedChromium()
    const page = await browser.newPage()
    const consoleErrors: string[] = []
    page.on('console', (message) => {
      if (message.type() === 'error') consoleErrors.push(message.text())
    })

    // The link the tool printed: sign in first, then straight back to the code.
    await page.goto(started.body.verification_uri_complete)
    assert.equal(new URL(page.url()).pathname, '/login')
    await page.getByLabel('Username or email').fill('ada')
    await page.getByLabel('Password').fill(PASSWORD)
    await page.getByRole('button', { name: 'Sign in' }).click()

    await page.getByRole('heading', { name: 'Approve device sign-in?' }).waitFor()
    assert.equal(await page.getByTestId('device-code').textContent(), started.body.user_code)
    assert.equal(await page.getByTestId('device-name').textContent(), 'ada-cli')
    const abilities = await page.getByTestId('device-abilities').innerText()
    assert.include(abilities, 'profile:read')
    assert.include(abilities, 'tokens:read')

    await page.getByRole('button', { name: 'Approve' }).click()
    await page.getByText('Device approved.').waitFor()
    assert.equal(new URL(page.url()).pathname, '/device')

    // The tool's next poll (after its interval) gets a token that works.
    await db.from('device_authorizations').update({ last_polled_at: null })
    const issued = await post(urlFor('api.v1.device.token'), {
      grant_type: GRANT,
      device_code: started.body.device_code,
    })
    assert.equal(issued.status, 200)
    assert.deepEqual(issued.body.token.abilities, ['profile:read', 'tokens:read'])
    const me = await fetch(`${baseUrl()}/api/v1/me`, {
      headers: { authorization: `Token ${issued.body.token.value}` },
    })
    assert.equal(me.status, 200)

    assert.deepEqual(consoleErrors, [])
  })

  test('typing a code by hand and denying it', async ({ assert }) => {
    await userService.create({ username: 'bob', email: 'bob@example.com', password: PASSWORD })
    const started = await post(urlFor('api.v1.device.authorize'), {})

    browser ??= await sharedChromium()
    const page = await browser.newPage()
    await page.goto(`${baseUrl()}/login`)
    await page.getByLabel('Username or email').fill('bob')
    await page.getByLabel('Password').fill(PASSWORD)
    await page.getByRole('button', { name: 'Sign in' }).click()
    await page.waitForURL('**/dashboard')

    await page.goto(`${baseUrl()}/device`)
    await page.getByLabel('Code').fill(started.body.user_code.toLowerCase().replace('-', ''))
    await page.getByRole('button', { name: 'Continue' }).click()
    await page.getByRole('heading', { name: 'Approve device sign-in?' }).waitFor()
    await page.getByRole('button', { name: 'Deny' }).click()
    await page.getByText('Request denied').waitFor()

    await db.from('device_authorizations').update({ last_polled_at: null })
    const denied = await post(urlFor('api.v1.device.token'), {
      device_code: started.body.device_code,
    })
    assert.equal(denied.body.error, 'access_denied')
  })
})
