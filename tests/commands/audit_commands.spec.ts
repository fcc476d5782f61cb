import { test } from '@japa/runner'
import { DateTime } from 'luxon'
import db from '@adonisjs/lucid/services/db'
import AuditEvent from '#models/audit_event'
import audit from '#services/audit_service'
import { isolateEachTest } from '#tests/helpers/database'
import { makeUser } from '#tests/helpers/factories'
import { assertError, output, runCommand } from '#tests/helpers/commands'

async function age(event: string, days: number) {
  const at = DateTime.now().minus({ days })
  await db
    .from('audit_events')
    .where('event', event)
    .update({ created_at: at.toFormat(db.connection().dialect.dateTimeFormat) })
}

async function seed() {
  const alice = await makeUser({ username: 'alice' })
  const bob = await makeUser({ username: 'bob' })
  await audit.record({
    event: 'sign_in.succeeded',
    actor: { type: 'user', id: alice.id },
    userId: alice.id,
    ip: '192.0.2.1',
  })
  await audit.record({
    event: 'token.created',
    actor: { type: 'user', id: bob.id },
    userId: bob.id,
    data: { name: 'ci' },
  })
  await audit.record({ event: 'user.deactivated', actor: { type: 'cli' }, userId: alice.id })
  await age('user.deactivated', 120)
  return { alice, bob }
}

test.group('audit:list', (group) => {
  isolateEachTest(group)

  test('--json lists every event, newest first', async ({ assert }) => {
    const { alice, bob } = await seed()
    const command = await runCommand('audit:list', ['--json'])
    command.assertSucceeded()
    const events = JSON.parse(output(command)[0])
    assert.deepEqual(
      events.map((event: { event: string; userId: number }) => [event.event, event.userId]),
      [
        ['token.created', bob.id],
        ['sign_in.succeeded', alice.id],
        ['user.deactivated', alice.id],
      ]
    )
    assert.deepEqual(events[0].actor, { type: 'user', id: bob.id })
  })

  test('--user and --since filter', async ({ assert }) => {
    const { alice } = await seed()
    const command = await runCommand('audit:list', ['--user=alice', '--since=7d', '--json'])
    command.assertSucceeded()
    const events = JSON.parse(output(command)[0])
    assert.deepEqual(
      events.map((event: { event: string }) => event.event),
      ['sign_in.succeeded']
    )
    assert.equal(events[0].userId, alice.id)

    const byDate = await runCommand('audit:list', ['--since=2000-01-01', '--json'])
    assert.lengthOf(JSON.parse(output(byDate)[0]), 3)
  })

  test('prints a table', async () => {
    await seed()
    const command = await runCommand('audit:list')
    command.assertSucceeded()
    command.assertLog('ID|Time (UTC)|Event|Actor|User|Token|IP|Details')
    command.assertLogMatches(/\|token\.created\|user:\d+\|\d+\|-\|-\|\{"name":"ci"\}$/)
  })

  test('refuses a bad --since, an unknown user and a bad --limit', async () => {
    assertError(
      await runCommand('audit:list', ['--since=yesterday']),
      '--since must be a duration such as 7d or a date such as 2026-11-01.'
    )
    assertError(await runCommand('audit:list', ['--user=nobody']), 'No user named "nobody".')
    assertError(
      await runCommand('audit:list', ['--limit=0']),
      '--limit must be a whole number from 1 to 10000.'
    )
  })
})

test.group('audit:prune', (group) => {
  isolateEachTest(group)

  test('removes events older than the retention (default 90d), keeps the rest', async ({
    assert,
  }) => {
    await seed()
    const dry = await runCommand('audit:prune', ['--dry-run'])
    dry.assertSucceeded()
    dry.assertLogMatches(/^\[ blue\(info\) \] Would remove 1 event\(s\) recorded before /)
    assert.lengthOf(await AuditEvent.all(), 3)

    const command = await runCommand('audit:prune')
    command.assertSucceeded()
    command.assertLogMatches(/Removed 1 audit event\(s\) recorded before /)
    const left = await AuditEvent.all()
    assert.sameMembers(
      left.map((event) => event.event),
      ['sign_in.succeeded', 'token.created']
    )
  })

  test('--older-than sets the cutoff; nothing to do is said so', async ({ assert }) => {
    await seed()
    await age('token.created', 10)
    const first = await runCommand('audit:prune', ['--older-than=7d'])
    first.assertSucceeded()
    assert.lengthOf(await AuditEvent.all(), 1)
    const again = await runCommand('audit:prune', ['--older-than=7d'])
    again.assertLogMatches(/No events recorded before /)
  })

  test('refuses a bad --older-than and removes nothing', async ({ assert }) => {
    await seed()
    for (const value of ['0', 'soon', '90', '-1d']) {
      assertError(
        await runCommand('audit:prune', [`--older-than=${value}`]),
        '--older-than must be a number and a unit (s, m, h, d, w), e.g. 90d.'
      )
    }
    assert.lengthOf(await AuditEvent.all(), 3)
  })
})
