import { test } from '@japa/runner'
import { urlFor } from '@adonisjs/core/services/url_builder'
import hash from '@adonisjs/core/services/hash'
import User from '#models/user'
import authService from '#services/auth_service'
import { isolateEachTest } from '#tests/helpers/database'
import { makeToken, makeUser, PASSWORD } from '#tests/helpers/factories'
import { makePageUser, PASSWORD as PAGE_PASSWORD } from './pages/pages_helpers.js'
import { postForm } from '#tests/helpers/pages'

/**
 * Takes every hash slot and every queue place of this (the test server's)
 * process with tasks that wait for `release`, as a sign-in flood would.
 */
function fillHashQueue() {
  let release!: () => void
  const gate = new Promise<void>((resolve) => (release = resolve))
  const { hashing } = authService
  const held = Array.from({ length: hashing.limit + hashing.maxWaiting }, () =>
    hashing.run(() => gate)
  )
  return async () => {
    release()
    await Promise.all(held)
  }
}

test.group('Password-hash queue: bounded, 503 when full', (group) => {
  isolateEachTest(group)

  test('POST {$self} answers 503 with Retry-After at once, in DRF shape')
    .with(['/api-token-auth/', '/api/v1/auth/login'])
    .run(async ({ client, assert }, path) => {
      await makeUser({ username: 'alice' })
      const release = fillHashQueue()
      try {
        const response = await client.post(path).json({ username: 'alice', password: PASSWORD })
        response.assertStatus(503)
        response.assertHeader('retry-after', '5')
        assert.deepEqual(response.body(), {
          detail:
            'Too many sign-in attempts are being checked right now. Try again in a few seconds.',
        })
      } finally {
        await release()
      }
      // A place in the queue again: the same sign-in goes through.
      const after = await client.post(path).json({ username: 'alice', password: PASSWORD })
      after.assertStatus(200)
    })

  test('the sign-in page answers 503 with a friendly message on the form', async ({ client }) => {
    await makeUser({ username: 'alice' })
    const release = fillHashQueue()
    try {
      const response = await client
        .post(urlFor('login.store'))
        .form({ username: 'alice', password: PASSWORD })
        .withCsrfToken()
        .redirects(0)
      response.assertStatus(503)
      response.assertHeader('retry-after', '5')
      response.assertTextIncludes('data-testid="login-unavailable"')
      response.assertTextIncludes('Too many sign-in attempts are being checked right now.')
      response.assertTextIncludes('<form method="POST" action="/login"')
    } finally {
      await release()
    }
  })

  test('changing my password while the queue is full changes nothing and says so', async ({
    client,
    assert,
  }) => {
    const user = await makePageUser()
    const release = fillHashQueue()
    let response
    try {
      response = await postForm(client, user, urlFor('account.password'), {
        currentPassword: PAGE_PASSWORD,
        newPassword: 'a brand new passphrase',
        newPasswordConfirmation: 'a brand new passphrase',
      }).redirects(0)
    } finally {
      await release()
    }
    response.assertHeader('location', '/account')
    const errors = response.flashMessages().errorsBag as Record<string, string>
    assert.equal(
      errors.E_TOO_MANY_REQUESTS,
      'Too many sign-in attempts are being checked right now. Try again in a few seconds.'
    )
    const fresh = await User.findOrFail(user.id)
    assert.isTrue(await hash.verify(fresh.password, PAGE_PASSWORD))
  })

  test('authenticated requests are served while the queue is full', async ({ client }) => {
    const { value } = await makeToken()
    const release = fillHashQueue()
    try {
      const response = await client
        .get(urlFor('api.v1.protected'))
        .header('authorization', `Token ${value}`)
      response.assertStatus(200)
    } finally {
      await release()
    }
  })
})
