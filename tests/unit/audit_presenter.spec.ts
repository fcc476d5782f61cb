import { test } from '@japa/runner'
import AuditEvent from '#models/audit_event'
import { describeEvent, shortAgent } from '#transformers/audit_event_transformer'

function event(fields: Partial<AuditEvent>) {
  const built = new AuditEvent()
  built.merge({ actorType: 'user', actorId: 1, userId: 1, data: {}, ...fields })
  return built
}

test.group('Audit presenter', () => {
  test('describes events for their subject, and for staff with who acted', ({ assert }) => {
    const revoked = event({
      event: 'token.revoked',
      actorType: 'staff',
      actorId: 9,
      data: { name: 'ci' },
    })
    assert.deepEqual(describeEvent(revoked), { what: 'Token revoked “ci”', by: 'an administrator' })
    assert.deepEqual(describeEvent(revoked, { staffView: true, actors: { 9: 'root' } }), {
      what: 'Token revoked “ci”',
      by: 'staff root',
    })
    assert.equal(describeEvent(revoked, { staffView: true }).by, 'staff #9')

    const all = event({ event: 'token.revoked', data: { all: true, count: 3 } })
    assert.deepEqual(describeEvent(all), { what: 'All tokens revoked (3)', by: 'you' })
    assert.equal(describeEvent(all, { staffView: true }).by, 'the user')

    const roles = event({
      event: 'user.staff_changed',
      actorType: 'staff',
      data: { isStaff: true },
    })
    assert.equal(describeEvent(roles).what, 'Staff status changed: staff')
    const again = event({ event: 'token.obtained', data: { name: 'default', created: false } })
    assert.equal(describeEvent(again).what, 'Token obtained “default” (existing key)')
    const inactive = event({ event: 'sign_in.failed', data: { reason: 'inactive' } })
    assert.equal(describeEvent(inactive).what, 'Sign-in refused (account inactive)')
    const cli = event({ event: 'user.deactivated', actorType: 'cli', actorId: null })
    assert.equal(describeEvent(cli, { staffView: true }).by, 'an operator (command line)')
  })

  test('shortens user agents to a browser and a platform', ({ assert }) => {
    assert.isNull(shortAgent(null))
    assert.equal(
      shortAgent(
        'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36 Edg/131.0.2903.86'
      ),
      'Edge/131.0.2903.86 on Windows'
    )
    assert.equal(
      shortAgent(
        'Mozilla/5.0 (Macintosh; Intel Mac OS X 14_7) AppleWebKit/605.1.15 Version/18.1 Safari/605.1.15'
      ),
      'Safari/605.1.15 on Mac OS X'
    )
    assert.equal(shortAgent('curl/8.5.0'), 'curl/8.5.0')
    assert.lengthOf(shortAgent('x'.repeat(300))!, 60)
  })
})
