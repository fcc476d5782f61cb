import { test } from '@japa/runner'
import { urlFor } from '@adonisjs/core/services/url_builder'
import { randomBytes } from 'node:crypto'
import gatehouse from '#config/gatehouse'
import AccessToken from '#models/access_token'
import AuditEvent from '#models/audit_event'
import tokenService from '#services/token_service'
import { untilCacheServes } from '#tests/helpers/cache'
import { hashKey } from '#services/token_key'
import { truncateEachTest } from '#tests/helpers/database'
import { makeToken, makeUser } from '#tests/helpers/factories'
import { rawRequest } from '#tests/helpers/http'

/** A token imported from Django REST Framework: a 40-hex key, stored hashed like ours. */
async function makeDrfToken() {
  const user = await makeUser()
  const value = randomBytes(20).toString('hex')
  const token = await AccessToken.create({
    tokenableId: user.id,
    type: gatehouse.tokens.type,
    name: 'drf',
    hash: hashKey(value),
    hint: value.slice(0, 4),
    abilities: ['*'],
    source: 'drf',
  })
  return { user, token, value }
}

async function statusWith(key: string) {
  const response = await rawRequest(urlFor('api.v1.me'), {
    headers: { authorization: `Token ${key}` },
  })
  return response.status
}

/** Status, the headers that could tell cases apart, and the body, as a client sees them. */
async function report(body: unknown) {
  const response = await rawRequest(urlFor('api.v1.tokens.revoke_leaked'), {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  })
  const headers = Object.fromEntries(
    [...response.headers].filter(([name]) => !['date', 'x-request-id'].includes(name))
  )
  return { status: response.status, headers, body: await response.text() }
}

test.group('POST /api/v1/tokens/revoke-leaked', (group) => {
  truncateEachTest(group)

  test('revokes a live key without any authentication: 202, then the key gets 401', async ({
    assert,
  }) => {
    const { value, token } = await makeToken()
    await untilCacheServes()
    // Used twice: the second answer came from the token cache, which must let go of it.
    assert.equal(await statusWith(value), 200)
    assert.equal(await statusWith(value), 200)

    const answer = await report({ keys: [value] })
    assert.equal(answer.status, 202)
    assert.deepEqual(JSON.parse(answer.body), { received: 1 })

    assert.equal(await statusWith(value), 401)
    assert.isNull(await AccessToken.find(token.id))
  })

  test('the answer is the same for a live, revoked, foreign, malformed or DRF key', async ({
    assert,
  }) => {
    const owner = await makeToken()
    const foreign = await makeToken()
    const drf = await makeDrfToken()
    const revoked = await makeToken()
    await tokenService.revoke(revoked.user, revoked.token.id)
    const badChecksum = owner.value.slice(0, -1) + (owner.value.endsWith('A') ? 'B' : 'A')

    const cases = {
      live: [owner.value],
      foreign: [foreign.value],
      drf: [drf.value],
      alreadyRevoked: [revoked.value],
      badChecksum: [badChecksum],
      malformed: ['not a key at all'],
      empty: [''],
    }
    const answers: Record<string, Awaited<ReturnType<typeof report>>> = {}
    for (const [name, keys] of Object.entries(cases)) answers[name] = await report({ keys })

    for (const [name, answer] of Object.entries(answers)) {
      assert.deepEqual(answer, answers.malformed, `${name} is answered like garbage`)
    }
    assert.equal(answers.live.status, 202)
    assert.equal(answers.live.body, '{"received":1}')

    // The one live key of each user is gone; nobody else's token was touched by the garbage.
    assert.equal(await statusWith(owner.value), 401)
    assert.equal(await statusWith(foreign.value), 401)
    assert.equal(await statusWith(drf.value), 401)
    assert.equal(
      await AccessToken.query()
        .count('* as n')
        .first()
        .then((r) => Number(r!.$extras.n)),
      0
    )
  })

  test('each revoked key is recorded for its owner as token.revoked_leaked, never the key', async ({
    assert,
  }) => {
    const live = await makeToken()
    const drf = await makeDrfToken()
    const revoked = await makeToken()
    await tokenService.revoke(revoked.user, revoked.token.id)

    const answer = await rawRequest(urlFor('api.v1.tokens.revoke_leaked'), {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'user-agent': 'scanner/1.0' },
      body: JSON.stringify({ keys: [live.value, drf.value, revoked.value, 'junk'] }),
    })
    assert.equal(answer.status, 202)

    const events = await AuditEvent.query()
      .where('event', 'token.revoked_leaked')
      .orderBy('token_id')
    assert.deepEqual(
      events.map((event) => [event.userId, event.tokenId, event.actorType, event.actorId]),
      [
        [live.user.id, live.token.id, 'system', null],
        [drf.user.id, drf.token.id, 'system', null],
      ]
    )
    assert.equal(events[0].ip, '127.0.0.1')
    assert.equal(events[0].userAgent, 'scanner/1.0')
    assert.equal(events[0].data.hint, live.token.hint)
    assert.equal(events[1].data.source, 'drf')
    const stored = JSON.stringify(events.map((event) => event.serialize()))
    for (const key of [live.value, drf.value, revoked.value]) assert.notInclude(stored, key)
  })

  test('malformed entries revoke nothing, and other tokens stay live', async ({ assert }) => {
    const { value, user } = await makeToken()
    const other = await tokenService.create(user, { name: 'other' })
    const answer = await report({
      keys: [value.toUpperCase(), value.slice(0, -2), `${value}x`, ` gth_${'0'.repeat(46)}`, '%00'],
    })

    assert.equal(answer.status, 202)
    assert.deepEqual(JSON.parse(answer.body), { received: 5 })
    assert.equal(await statusWith(value), 200)
    assert.equal(await statusWith(other.value), 200)
  })

  test('a bare JSON list is accepted; duplicates count as received', async ({ assert }) => {
    const { value } = await makeToken()
    const answer = await report([value, value, 'junk'])

    assert.equal(answer.status, 202)
    assert.deepEqual(JSON.parse(answer.body), { received: 3 })
    assert.equal(await statusWith(value), 401)
  })

  test('several users’ keys in one report are all revoked; keys with surrounding space too', async ({
    assert,
  }) => {
    const first = await makeToken()
    const second = await makeToken()
    const kept = await makeToken()
    const answer = await report({ keys: [first.value, `  ${second.value}\n`] })

    assert.equal(answer.status, 202)
    assert.equal(await statusWith(first.value), 401)
    assert.equal(await statusWith(second.value), 401)
    assert.equal(await statusWith(kept.value), 200)
  })

  test('more than 100 keys: 422 with a clear detail, nothing revoked', async ({ assert }) => {
    const { value } = await makeToken()
    const keys = [value, ...Array.from({ length: 100 }, (_, i) => `junk-${i}`)]
    const answer = await report({ keys })

    assert.equal(answer.status, 422)
    assert.equal(
      JSON.parse(answer.body).detail,
      'Send at most 100 keys per request; split longer lists.'
    )
    assert.equal(await statusWith(value), 200)

    const exactly = await report({ keys: keys.slice(0, 100) })
    assert.equal(exactly.status, 202)
    assert.equal(await statusWith(value), 401)
  })

  test('{name}: 422 with a clear detail')
    .with([
      { name: 'no keys field', body: { key: 'x' }, detail: /Send the leaked keys as/ },
      { name: 'keys not a list', body: { keys: 'gth_x' }, detail: /Send the leaked keys as/ },
      { name: 'an empty list', body: { keys: [] }, detail: /^Send at least one key\.$/ },
      {
        name: 'a number among keys',
        body: { keys: [42] },
        detail: /^Each key must be a string\.$/,
      },
      {
        name: 'a huge entry',
        body: { keys: ['x'.repeat(1001)] },
        detail: /^A key is at most 1000 characters long\.$/,
      },
    ])
    .run(async ({ assert }, { body, detail }) => {
      const answer = await report(body)
      assert.equal(answer.status, 422)
      assert.match(JSON.parse(answer.body).detail, detail)
    })

  test('keys in the query string are not read (URLs end up in logs)', async ({ assert }) => {
    const { value } = await makeToken()
    const response = await rawRequest(
      urlFor('api.v1.tokens.revoke_leaked', {}, { qs: { keys: value } }),
      { method: 'POST' }
    )
    assert.equal(response.status, 422)
    assert.equal(await statusWith(value), 200)
  })

  test('throttled like sign-in: per IP, 429 with Retry-After once over the limit', async ({
    assert,
  }) => {
    const limit = gatehouse.throttle.ip.requests
    for (let i = 0; i < limit; i++) {
      const answer = await report({ keys: ['junk'] })
      assert.equal(answer.status, 202)
    }
    const { value } = await makeToken()
    const blocked = await report({ keys: [value] })
    assert.equal(blocked.status, 429)
    assert.match(JSON.parse(blocked.body).detail, /^Request was throttled\./)
    assert.isAbove(Number(blocked.headers['retry-after']), 0)
    assert.equal(await statusWith(value), 200)
  })
})
