import { test } from '@japa/runner'
import { urlFor } from '@adonisjs/core/services/url_builder'

test.group('Health', () => {
  test('GET /health says the database answers', async ({ client }) => {
    const response = await client.get(urlFor('health'))
    response.assertStatus(200)
    response.assertBody({ status: 'ok', database: 'up' })
  })
})

test.group('Liveness', () => {
  test('GET /health/live answers without the database', async ({ client }) => {
    const response = await client.get(urlFor('health.live'))
    response.assertStatus(200)
    response.assertBody({ status: 'ok' })
  })
})
