import { test } from '@japa/runner'
import { urlFor } from '@adonisjs/core/services/url_builder'
import AccessToken from '#models/access_token'
import tokenService from '#services/token_service'
import { isolateEachTest } from '#tests/helpers/database'
import { makePageUser, PASSWORD } from './pages_helpers.js'
import { postForm } from '#tests/helpers/pages'

/** The key shown by "Get my API token" or "Create token", read from the page that answered. */
function issuedKeyOf(response: { text(): string }) {
  return /id="issued-key" value="([^"]+)"/.exec(response.text())?.[1] ?? ''
}

test.group('Pages: /tokens list', (group) => {
  isolateEachTest(group)

  test('lists the user’s tokens: name, abilities, dates, status; never a key', async ({
    client,
    assert,
  }) => {
    const user = await makePageUser()
    const other = await makePageUser()
    const ci = await tokenService.create(user, {
      name: 'CI deploy',
      abilities: ['tokens:read'],
      expiresIn: '7d',
    })
    const old = await tokenService.create(user, { name: 'old laptop', expiresIn: '1d' })
    old.token.expiresAt = old.token.expiresAt!.minus({ days: 2 })
    await old.token.save()
    await tokenService.create(other, { name: 'someone else' })

    const response = await client.get(urlFor('tokens.index')).withGuard('web').loginAs(user)
    response.assertStatus(200)
    response.assertHeader('cache-control', 'no-store')
    const html = response.text()
    assert.include(html, 'CI deploy')
    assert.include(html, '<span class="chip">tokens:read</span>')
    assert.include(html, 'old laptop')
    assert.include(html, '<span class="badge badge-live">Live</span>')
    assert.include(html, '<span class="badge badge-expired">Expired</span>')
    assert.include(html, 'Never used')
    assert.include(html, `${ci.token.hint}…`)
    assert.notInclude(html, 'someone else')
    assert.notInclude(html, ci.value)
    assert.notInclude(html, old.value)
  })

  test('with no tokens, says so and offers no "revoke all"', async ({ client, assert }) => {
    const user = await makePageUser()
    const response = await client.get(urlFor('tokens.index')).withGuard('web').loginAs(user)
    response.assertTextIncludes('No tokens yet.')
    assert.notInclude(response.text(), 'action="/tokens/revoke-all"')
  })

  test('every form on the page carries a CSRF field', async ({ client, assert }) => {
    const user = await makePageUser()
    await tokenService.create(user, { name: 'one' })
    const response = await client.get(urlFor('tokens.index')).withGuard('web').loginAs(user)
    const html = response.text()

    const forms = html.match(/<form[\s\S]*?<\/form>/g) ?? []
    assert.isAtLeast(forms.length, 5) // sign out, mine, create, revoke one, revoke all
    for (const form of forms) assert.include(form, "name='_csrf'")
  })
})

test.group('Pages: Get my API token', (group) => {
  isolateEachTest(group)

  test('gives the same key as POST /api-token-auth/, every time, in the answer itself', async ({
    client,
    assert,
  }) => {
    const user = await makePageUser({ username: 'ada' })

    const first = await postForm(client, user, urlFor('tokens.mine')).redirects(0)
    first.assertStatus(200)
    first.assertHeader('cache-control', 'no-store')
    first.assertFlashMissing('issuedToken')
    const key = issuedKeyOf(first)
    assert.match(key, /^gth_/)
    first.assertTextIncludes('Your API token')

    const again = await postForm(client, user, urlFor('tokens.mine')).redirects(0)
    assert.equal(issuedKeyOf(again), key)

    const api = await client.post('/api-token-auth/').json({ username: 'ada', password: PASSWORD })
    api.assertBody({ token: key })
    const tokens = await tokenService.list(user)
    assert.lengthOf(tokens, 1)
  })

  test('the key is shown with a copy button and its nonce script', async ({ client, assert }) => {
    const user = await makePageUser()
    const { value } = await tokenService.getOrCreate(user)
    const response = await postForm(client, user, urlFor('tokens.mine'))

    const html = response.text()
    assert.include(html, `value="${value}"`)
    assert.include(html, 'data-copy-target="issued-key"')
    const nonce = /script-src 'self' 'nonce-([^']+)'/.exec(
      response.header('content-security-policy') ?? ''
    )?.[1]
    assert.exists(nonce)
    assert.include(html, `<script nonce="${nonce}">`)
  })

  test('the key is not shown again on a plain reload', async ({ client, assert }) => {
    const user = await makePageUser()
    const { value } = await tokenService.getOrCreate(user)
    const response = await client.get(urlFor('tokens.index')).withGuard('web').loginAs(user)
    assert.notInclude(response.text(), value)
    assert.notInclude(response.text(), '<script')
  })
})

test.group('Pages: create a token', (group) => {
  isolateEachTest(group)

  test('creates a token with name, abilities and expiry; the key is in that answer only', async ({
    client,
    assert,
  }) => {
    const user = await makePageUser()
    const response = await postForm(client, user, urlFor('tokens.store'), {
      name: 'CI deploy',
      abilities: 'tokens:read, tokens:write tokens:read',
      expiresIn: '7d',
    }).redirects(0)

    response.assertStatus(200)
    response.assertHeader('cache-control', 'no-store')
    response.assertFlashMissing('issuedToken')
    response.assertTextIncludes('Token “CI deploy” created')
    const key = issuedKeyOf(response)

    const token = await AccessToken.findByOrFail('name', 'CI deploy')
    assert.equal(token.tokenableId, user.id)
    assert.deepEqual(token.abilities, ['tokens:read', 'tokens:write'])
    assert.isNull(token.encryptedSecret)
    const days = token.expiresAt!.diffNow('days').days
    assert.isAbove(days, 6.9)
    assert.isBelow(days, 7.1)

    const api = await client.get(urlFor('api.v1.protected')).header('authorization', `Token ${key}`)
    api.assertStatus(200)
  })

  test('"Never" creates a token without expiry', async ({ client, assert }) => {
    const user = await makePageUser()
    const response = await postForm(client, user, urlFor('tokens.store'), {
      name: 'forever',
      abilities: '*',
      expiresIn: 'never',
    }).redirects(0)
    response.assertStatus(200)
    const token = await AccessToken.findByOrFail('name', 'forever')
    assert.isNull(token.expiresAt)
    assert.deepEqual(token.abilities, ['*'])
  })

  test('{title}: back to the form with an error on {field}, nothing created')
    .with([
      { title: 'blank name', field: 'name', form: { name: ' ', abilities: '*', expiresIn: '30d' } },
      {
        title: 'bad ability',
        field: 'abilities',
        form: { name: 'x', abilities: 'tokens:read <script>', expiresIn: '30d' },
      },
      {
        title: 'no abilities',
        field: 'abilities',
        form: { name: 'x', abilities: '', expiresIn: '30d' },
      },
      {
        title: 'bad expiry',
        field: 'expiresIn',
        form: { name: 'x', abilities: '*', expiresIn: 'tomorrow' },
      },
    ])
    .run(async ({ client, assert }, { field, form }) => {
      const user = await makePageUser()
      const response = await postForm(client, user, urlFor('tokens.store'), form)
        .header('referer', '/tokens')
        .redirects(0)

      response.assertStatus(302)
      response.assertHeader('location', '/tokens')
      assert.property(response.flashMessage('inputErrorsBag'), field)
      response.assertFlashMissing('issuedToken')
      assert.equal(response.flashMessage('expiresIn'), form.expiresIn)
      assert.lengthOf(await tokenService.list(user), 0)
    })

  test('the form shows its errors and keeps what was typed', async ({ client }) => {
    const user = await makePageUser()
    const response = await client
      .get(urlFor('tokens.index'))
      .withGuard('web')
      .loginAs(user)
      .withFlashMessages({
        name: 'CI',
        abilities: 'bad thing!',
        expiresIn: '90d',
        inputErrorsBag: { abilities: ['Abilities are words such as tokens:read'] },
      })
    response.assertTextIncludes('value="CI"')
    response.assertTextIncludes('value="bad thing!"')
    response.assertTextIncludes('<option value="90d" selected>')
    response.assertTextIncludes(
      '<p class="field-error" id="abilities-error">Abilities are words such as tokens:read</p>'
    )
  })

  test('POST /tokens without a CSRF token is refused: nothing created', async ({
    client,
    assert,
  }) => {
    const user = await makePageUser()
    const response = await client
      .post(urlFor('tokens.store'))
      .withGuard('web')
      .loginAs(user)
      .header('referer', '/tokens')
      .form({ name: 'sneaky', abilities: '*', expiresIn: '30d' })
      .redirects(0)

    response.assertStatus(302)
    response.assertFlashMessage('errorsBag', { E_BAD_CSRF_TOKEN: 'Invalid or expired CSRF token' })
    response.assertFlashMissing('issuedToken')
    assert.lengthOf(await tokenService.list(user), 0)
  })

  test('a guest cannot create a token', async ({ client }) => {
    const response = await client
      .post(urlFor('tokens.store'))
      .withCsrfToken()
      .form({ name: 'x', abilities: '*', expiresIn: '30d' })
      .redirects(0)
    response.assertStatus(302)
    response.assertHeader('location', '/login')
  })
})

test.group('Pages: revoke tokens', (group) => {
  isolateEachTest(group)

  test('revokes one token; its key is refused by the API at once', async ({ client, assert }) => {
    const user = await makePageUser()
    const { token, value } = await tokenService.create(user, { name: 'laptop' })
    const keep = await tokenService.create(user, { name: 'keep' })

    const response = await postForm(
      client,
      user,
      urlFor('tokens.revoke', { id: token.id })
    ).redirects(0)
    response.assertStatus(302)
    response.assertHeader('location', '/tokens')
    response.assertFlashMessage(
      'success',
      'Token “laptop” revoked. Requests using it are now refused.'
    )

    const api = await client
      .get(urlFor('api.v1.protected'))
      .header('authorization', `Token ${value}`)
    api.assertStatus(401)
    const left = await tokenService.list(user)
    assert.deepEqual(
      left.map((t) => t.id),
      [keep.token.id]
    )
  })

  test('cannot revoke another user’s token', async ({ client, assert }) => {
    const user = await makePageUser()
    const other = await makePageUser()
    const { token } = await tokenService.create(other, { name: 'theirs' })

    const response = await postForm(
      client,
      user,
      urlFor('tokens.revoke', { id: token.id })
    ).redirects(0)
    response.assertHeader('location', '/tokens')
    response.assertFlashMessage('error', 'That token does not exist or was already revoked.')
    assert.lengthOf(await tokenService.list(other), 1)
  })

  test('a non-numeric token id is a 404 page', async ({ client }) => {
    const user = await makePageUser()
    const response = await postForm(client, user, '/tokens/abc/revoke').header(
      'accept',
      'text/html'
    )
    response.assertStatus(404)
    response.assertTextIncludes('Page not found')
  })

  test('revoke without a CSRF token is refused: the token stays', async ({ client, assert }) => {
    const user = await makePageUser()
    const { token } = await tokenService.create(user, { name: 'laptop' })
    const response = await client
      .post(urlFor('tokens.revoke', { id: token.id }))
      .withGuard('web')
      .loginAs(user)
      .header('referer', '/tokens')
      .redirects(0)
    response.assertFlashMessage('errorsBag', { E_BAD_CSRF_TOKEN: 'Invalid or expired CSRF token' })
    assert.lengthOf(await tokenService.list(user), 1)
  })

  test('revoke all needs the confirmation box', async ({ client, assert }) => {
    const user = await makePageUser()
    await tokenService.create(user, { name: 'a' })
    const response = await postForm(client, user, urlFor('tokens.revoke_all'))
      .header('referer', '/tokens')
      .redirects(0)
    response.assertHeader('location', '/tokens')
    assert.deepEqual(response.flashMessage('inputErrorsBag'), {
      confirm: ['Tick the box to confirm that every token should be revoked.'],
    })
    assert.lengthOf(await tokenService.list(user), 1)
  })

  test('revoke all, confirmed, revokes every token of the user and only theirs', async ({
    client,
    assert,
  }) => {
    const user = await makePageUser()
    const other = await makePageUser()
    const a = await tokenService.create(user, { name: 'a' })
    await tokenService.getOrCreate(user)
    await tokenService.create(other, { name: 'theirs' })

    const response = await postForm(client, user, urlFor('tokens.revoke_all'), {
      confirm: 'on',
    }).redirects(0)
    response.assertHeader('location', '/tokens')
    response.assertFlashMessage('success', '2 tokens revoked.')
    assert.lengthOf(await tokenService.list(user), 0)
    assert.lengthOf(await tokenService.list(other), 1)

    const api = await client
      .get(urlFor('api.v1.protected'))
      .header('authorization', `Token ${a.value}`)
    api.assertStatus(401)
  })
})
