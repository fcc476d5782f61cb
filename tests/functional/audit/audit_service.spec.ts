import { test } from '@japa/runner'
import { DateTime } from 'luxon'
import db from '@adonisjs/lucid/services/db'
import AuditEvent from '#models/audit_event'
import audit, { AuditService } from '#services/audit_service'
import { isolateEachTest } from '#tests/helpers/database'
import { makeToken } from '#tests/helpers/factories'

test.group('Audit service', (group) => {
  isolateEachTest(group)

  test('records an event with its actor, subject, address and data', async ({ assert }) => {
    await audit.record({
      event: 'token.revoked',
      actor: { type: 'staff', id: 7 },
      userId: 3,
      tokenId: 12,
      ip: '203.0.113.9',
      userAgent: 'curl/8.5.0',
      data: { name: 'CI deploy', hint: 'gth_AbCd', count: 1 },
    })
    const [event] = await AuditEvent.all()
    assert.equal(event.event, 'token.revoked')
    assert.equal(event.actorType, 'staff')
    assert.equal(event.actorId, 7)
    assert.equal(event.userId, 3)
    assert.equal(event.tokenId, 12)
    assert.equal(event.ip, '203.0.113.9')
    assert.equal(event.userAgent, 'curl/8.5.0')
    assert.deepEqual(event.data, { name: 'CI deploy', hint: 'gth_AbCd', count: 1 })
    assert.isTrue(event.createdAt.diffNow().as('seconds') > -60)
  })

  test('never stores a key or a password, whatever the caller passes', async ({ assert }) => {
    const { value } = await makeToken()
    const drfKey = 'a'.repeat(40)
    await audit.record({
      event: 'token.created',
      actor: { type: 'cli' },
      userAgent: `agent ${value}`,
      data: {
        password: 'hunter2hunter2',
        newPassword: 'x',
        key: value,
        value,
        secret: 's',
        note: `leaked ${value} and ${drfKey}`,
        nested: { keys: [value], list: [value] },
        keysReceived: 3,
      },
    })
    const rows = await db.from('audit_events').select('*')
    const stored = JSON.stringify(rows)
    assert.notInclude(stored, value)
    assert.notInclude(stored, drfKey)
    assert.notInclude(stored, 'hunter2')
    const [event] = await AuditEvent.all()
    assert.deepEqual(event.data, {
      note: 'leaked [redacted] and [redacted]',
      nested: { list: ['[redacted]'] },
      keysReceived: 3,
    })
    assert.equal(event.userAgent, 'agent [redacted]')
  })

  test('an expired key refused again and again is recorded once, across processes', async ({
    assert,
  }) => {
    // Two services stand for two processes: each has its own memory, the index is shared.
    const first = new AuditService()
    const second = new AuditService()
    await first.expiredRefused(41, 5)
    await first.expiredRefused(41, 5)
    await second.expiredRefused(41, 5)
    await second.expiredRefused(42, 5)
    const events = await AuditEvent.query().where('event', 'token.expired_refused')
    assert.sameMembers(
      events.map((event) => event.tokenId),
      [41, 42]
    )
  })

  test('lists by user and since; prunes in batches', async ({ assert }) => {
    for (const userId of [1, 1, 2]) {
      await audit.record({
        event: 'sign_in.succeeded',
        actor: { type: 'user', id: userId },
        userId,
      })
    }
    const old = DateTime.now().minus({ days: 100 })
    await db
      .from('audit_events')
      .where('user_id', 2)
      .update({ created_at: old.toFormat(db.connection().dialect.dateTimeFormat) })

    assert.lengthOf(await audit.list({ userId: 1 }), 2)
    assert.lengthOf(await audit.list({ since: DateTime.now().minus({ days: 1 }) }), 2)
    assert.equal(await audit.countOlderThan(DateTime.now().minus({ days: 90 })), 1)

    const batches: number[] = []
    const removed = await audit.prune({
      olderThan: DateTime.now().plus({ minutes: 1 }),
      batchSize: 2,
      onBatch: (done) => batches.push(done),
    })
    assert.equal(removed, 3)
    assert.deepEqual(batches, [2, 3])
    assert.lengthOf(await AuditEvent.all(), 0)
  })
})
