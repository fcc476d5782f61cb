import { test } from '@japa/runner'
import { urlFor } from '@adonisjs/core/services/url_builder'

const ALLOWED = 'https://app.example.test'

/** CORS_ORIGINS=https://app.example.test in .env.test. */
test.group('CORS', () => {
  test('a preflight from a listed origin is allowed, without credentials', async ({
    client,
    assert,
  }) => {
    const response = await client
      .options(urlFor('api.v1.me'))
      .header('origin', ALLOWED)
      .header('access-control-request-method', 'GET')
      .header('access-control-request-headers', 'authorization')
    response.assertStatus(204)
    response.assertHeader('access-control-allow-origin', ALLOWED)
    assert.include(response.header('access-control-allow-headers'), 'authorization')
    assert.isUndefined(response.header('access-control-allow-credentials'))
  })

  test('another origin gets no CORS headers', async ({ assert, client }) => {
    const preflight = await client
      .options(urlFor('api.v1.me'))
      .header('origin', 'https://evil.example')
      .header('access-control-request-method', 'GET')
    assert.isUndefined(preflight.header('access-control-allow-origin'))

    const simple = await client.get(urlFor('api.v1.me')).header('origin', 'https://evil.example')
    simple.assertStatus(401)
    assert.isUndefined(simple.header('access-control-allow-origin'))
  })

  test('answers to a listed origin expose the headers a client needs', async ({
    client,
    assert,
  }) => {
    const response = await client.get(urlFor('api.v1.me')).header('origin', ALLOWED)
    response.assertStatus(401)
    response.assertHeader('access-control-allow-origin', ALLOWED)
    const exposed = response.header('access-control-expose-headers')
    assert.include(exposed, 'www-authenticate')
    assert.include(exposed, 'retry-after')
  })

  test('a request without an Origin is not a CORS request: no CORS headers', async ({
    client,
    assert,
  }) => {
    const response = await client.get(urlFor('api.v1.me'))
    response.assertStatus(401)
    for (const name of Object.keys(response.headers())) {
      assert.notMatch(name, /^access-control-/)
    }
    assert.notMatch(String(response.header('vary') ?? ''), /origin/i)
  })
})
