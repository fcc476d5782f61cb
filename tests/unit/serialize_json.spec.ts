import { test } from '@japa/runner'
import app from '@adonisjs/core/services/app'
import { DateTime } from 'luxon'
import { safeStringify } from '@poppinss/utils/json'
import { serializeJSON } from '#config/app'

test.group('JSON answers (config/app.ts serializeJSON)', () => {
  test('is what the HTTP server uses', ({ assert }) => {
    assert.strictEqual(app.config.get<any>('app.http').serializeJSON, serializeJSON)
  })

  test('writes plain data exactly as AdonisJS default serializer does', ({ assert }) => {
    const payload = {
      detail: 'Authenticated user only',
      user: { id: 1, username: 'zoë "z" \\ \u2028', email: null, isActive: true },
      when: DateTime.fromISO('2026-12-01T10:00:00.000Z', { zone: 'utc' }),
      missing: undefined,
      list: [1, 'two', { three: 3 }, null, Number.NaN, -0],
      lone: '\ud800',
    }
    assert.equal(serializeJSON(payload), safeStringify(payload))
    assert.deepEqual(JSON.parse(serializeJSON(payload)!).user.username, 'zoë "z" \\ \u2028')
  })

  test('a BigInt is written as a string, as by default', ({ assert }) => {
    assert.equal(serializeJSON({ count: 12n }), '{"count":"12"}')
  })

  test('a cycle does not fail the answer: the cyclic value is left out', ({ assert }) => {
    const node: Record<string, unknown> = { id: 1 }
    node.self = node
    assert.equal(serializeJSON(node), '{"id":1}')
  })
})
