import { test } from '@japa/runner'

test.group('Health', () => {
  test('GET /health says the database answers', async ({ client }) => {
    const response = await client.get('/health')
    response.assertStatus(200)
    response.assertBody({ status: 'ok', database: 'up' })
  })
})

test.group('Liveness', () => {
  test('GET /health/live answers without the database', async ({ client }) => {
    const response = await client.get('/health/live')
    response.assertStatus(200)
    response.assertBody({ status: 'ok' })
  })
})
