import { test } from '@japa/runner'
import { urlFor } from '@adonisjs/core/services/url_builder'
import audit from '#services/audit_service'
import { isolateEachTest } from '#tests/helpers/database'
import { makeToken, makeUser } from '#tests/helpers/factories'
import { whereLastUsed } from '#transformers/audit_event_transformer'

async function seedEvents(userId: number, count: number) {
  for (let i = 0; i < count; i++) {
    await audit.record({
      event: 'token.created',
      actor: { type: 'user', id: userId },
      userId,
      tokenId: i + 1,
      ip: '198.51.100.7',
      data: { name: `token ${i}` },
    })
  }
}

test.group('GET /api/v1/events', (group) => {
  isolateEachTest(group)

  test('pages through the caller’s own events, newest first', async ({ client, assert }) => {
    const { user, value } = await makeToken(undefined, ['tokens:read'])
    const other = await makeUser()
    await seedEvents(user.id, 5)
    await seedEvents(other.id, 2)

    const first = await client
      .get(urlFor('api.v1.events.index'))
      .qs({ perPage: 2 })
      .header('authorization', `Token ${value}`)
    first.assertStatus(200)
    const body = first.body()
    assert.deepEqual(
      body.events.map((event: { data: { name: string } }) => event.data.name),
      ['token 4', 'token 3']
    )
    assert.containsSubset(body.meta, { total: 5, perPage: 2, currentPage: 1, lastPage: 3 })
    assert.equal(body.meta.nextPageUrl, '/api/v1/events?perPage=2&page=2')
    assert.deepEqual(body.events[0].actor, { type: 'user', id: user.id })
    assert.equal(body.events[0].ip, '198.51.100.7')
    assert.sameMembers(Object.keys(body.events[0]), [
      'id',
      'event',
      'createdAt',
      'actor',
      'tokenId',
      'ip',
      'userAgent',
      'data',
    ])

    const last = await client
      .get(urlFor('api.v1.events.index'))
      .qs({ perPage: 2, page: 3 })
      .header('authorization', `Token ${value}`)
    assert.lengthOf(last.body().events, 1)
    assert.isNull(last.body().meta.nextPageUrl)
  })

  test('a staff member acting is shown by role, not by id', async ({ client, assert }) => {
    const { user, value } = await makeToken()
    await audit.record({
      event: 'user.deactivated',
      actor: { type: 'staff', id: 99 },
      userId: user.id,
    })
    const response = await client
      .get(urlFor('api.v1.events.index'))
      .header('authorization', `Token ${value}`)
    assert.deepEqual(response.body().events[0].actor, { type: 'staff' })
  })

  test('needs tokens:read; bad paging is a 422 with a detail', async ({ client }) => {
    const writer = await makeToken(undefined, ['tokens:write'])
    const refused = await client
      .get(urlFor('api.v1.events.index'))
      .header('authorization', `Token ${writer.value}`)
    refused.assertStatus(403)

    const unauthenticated = await client.get(urlFor('api.v1.events.index'))
    unauthenticated.assertStatus(401)

    const reader = await makeToken(undefined, ['tokens:read'])
    for (const qs of [{ page: 0 }, { perPage: 101 }, { page: 'x' }, { perPage: 1.5 }]) {
      const bad = await client
        .get(urlFor('api.v1.events.index'))
        .qs(qs)
        .header('authorization', `Token ${reader.value}`)
      bad.assertStatus(422)
      bad.assertBodyContains({ detail: bad.body().detail })
    }
  })
})

test.group('Recent activity on /tokens', (group) => {
  isolateEachTest(group)

  test('shows the user’s own latest events, not anyone else’s', async ({ client, assert }) => {
    const user = await makeUser()
    const other = await makeUser()
    await audit.record({
      event: 'sign_in.failed',
      actor: { type: 'user', id: user.id },
      userId: user.id,
      ip: '203.0.113.50',
      userAgent: 'Mozilla/5.0 (X11; Linux x86_64) Gecko/20100101 Firefox/133.0',
      data: { reason: 'bad_credentials' },
    })
    await audit.record({
      event: 'token.revoked',
      actor: { type: 'staff', id: 1 },
      userId: user.id,
      data: { name: 'laptop' },
    })
    await audit.record({
      event: 'token.created',
      actor: { type: 'user', id: other.id },
      userId: other.id,
      data: { name: 'secret-project' },
    })

    const response = await client.get(urlFor('tokens.index')).withGuard('web').loginAs(user)
    response.assertStatus(200)
    const html = response.text()
    assert.include(html, 'Recent activity')
    assert.include(html, 'Sign-in refused')
    assert.include(html, 'from 203.0.113.50')
    assert.include(html, '· Firefox/133.0 on Linux</span>')
    assert.match(html, /<time datetime="[^"]+"[^>]*>just now<\/time>/)
    assert.include(html, 'Token revoked “laptop”')
    assert.include(html, 'by an administrator')
    assert.notInclude(html, 'secret-project')
  })

  test('says so when there is nothing yet', async ({ client }) => {
    const user = await makeUser()
    const response = await client.get(urlFor('tokens.index')).withGuard('web').loginAs(user)
    response.assertTextIncludes('Nothing yet.')
  })
})

test.group('Where a token was last used', () => {
  test('reads the address and a short agent from declared columns or extras', ({ assert }) => {
    assert.deepEqual(whereLastUsed({ $attributes: {}, $extras: {} }), {
      ip: null,
      agent: null,
      label: null,
    })
    assert.deepEqual(
      whereLastUsed({
        $attributes: { lastUsedIp: '192.0.2.1' },
        $extras: { last_used_agent: 'curl/8.5.0' },
      }),
      { ip: '192.0.2.1', agent: 'curl/8.5.0', label: '192.0.2.1 · curl/8.5.0' }
    )
  })
})
