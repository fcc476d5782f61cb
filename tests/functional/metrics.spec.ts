import { test } from '@japa/runner'
import { urlFor } from '@adonisjs/core/services/url_builder'
import gatehouse from '#config/gatehouse'
import metricsConfig from '#config/metrics'
import metricsAccess from '#services/metrics_access'
import authService from '#services/auth_service'
import { scrape } from '#services/metrics'
import { untilCacheServes } from '#tests/helpers/cache'
import { truncateEachTest } from '#tests/helpers/database'
import { expireToken, makeToken, makeUser, PASSWORD } from '#tests/helpers/factories'
import { rawRequest } from '#tests/helpers/http'
import tokenService from '#services/token_service'
import { makeAccount } from '#tests/functional/admin/admin_helpers'
import { postForm } from '#tests/helpers/pages'

const SECRET = 'a-scrape-secret-of-some-length'

/** The status of a fetch() response. */
async function statusOf(request: Promise<Response>) {
  const response = await request
  return response.status
}

/** The status of GET /metrics, with this Authorization header if any. */
function scrapeStatus(authorization?: string) {
  return statusOf(
    rawRequest(urlFor('metrics'), { headers: authorization ? { authorization } : {} })
  )
}

async function scrapeText() {
  const { text } = await scrapeHttp()
  return text
}

async function scrapeHttp(headers: Record<string, string> = {}) {
  const response = await rawRequest(urlFor('metrics'), { headers })
  return {
    status: response.status,
    type: response.headers.get('content-type'),
    text: await response.text(),
  }
}

/** The value of one sample in the exposition text (0 when absent). */
function sample(text: string, name: string, labels: Record<string, string> = {}) {
  const wanted = Object.entries(labels).map(([key, value]) => `${key}="${value}"`)
  for (const line of text.split('\n')) {
    const match = /^([a-z_:]+)(?:\{(.*)\})? (\S+)$/.exec(line)
    if (!match || match[1] !== name) continue
    const present = match[2]?.split(',') ?? []
    if (wanted.every((pair) => present.includes(pair))) return Number(match[3])
  }
  return 0
}

/** How much each sample moved while `action` ran. */
async function delta(action: () => Promise<unknown>) {
  const before = await scrapeText()
  await action()
  const after = await scrapeText()
  return (name: string, labels: Record<string, string> = {}) =>
    sample(after, name, labels) - sample(before, name, labels)
}

function me(key: string) {
  return rawRequest(urlFor('api.v1.me'), { headers: { authorization: `Token ${key}` } })
}

function signIn(username: string, password: string) {
  return rawRequest(urlFor('api.v1.auth.login'), {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ username, password }),
  })
}

test.group('GET /metrics: who may scrape', (group) => {
  group.each.teardown(() => metricsAccess.configure(metricsConfig))

  test('from loopback (the default allow list): 200, Prometheus text, every metric named', async ({
    assert,
  }) => {
    const { status, type, text } = await scrapeHttp()
    assert.equal(status, 200)
    assert.match(type!, /^text\/plain; version=0\.0\.4/)
    for (const name of [
      'gatehouse_token_authentications_total',
      'gatehouse_token_cache_hits_total',
      'gatehouse_token_cache_misses_total',
      'gatehouse_password_hash_queue_depth',
      'gatehouse_password_hash_refusals_total',
      'gatehouse_sign_ins_total',
      'gatehouse_token_revocations_total',
      'gatehouse_http_request_duration_seconds',
      'gatehouse_process_cpu_seconds_total',
    ]) {
      assert.include(text, `# TYPE ${name} `)
    }
    // Every outcome is there from the start, at 0 or more (alerts need the series to exist).
    for (const outcome of ['ok', 'invalid', 'expired', 'inactive']) {
      assert.include(text, `gatehouse_token_authentications_total{outcome="${outcome}"}`)
    }
  })

  test('from an address not allowed: 404, like a page that does not exist', async ({ assert }) => {
    metricsAccess.configure({ allow: ['10.0.0.0/8', '2001:db8::/32'], token: undefined })
    const refused = await scrapeHttp()
    assert.equal(refused.status, 404)
    assert.notInclude(refused.text, 'gatehouse_')

    const unknown = await rawRequest('/no-such-page')
    assert.equal(unknown.status, 404)
    assert.equal(refused.type, unknown.headers.get('content-type'))
  })

  test('with the bearer secret from anywhere: 200; a wrong or missing secret: 404', async ({
    assert,
  }) => {
    metricsAccess.configure({ allow: [], token: SECRET })

    assert.equal(await scrapeStatus(`Bearer ${SECRET}`), 200)
    assert.equal(await scrapeStatus(`bearer  ${SECRET}`), 200)
    assert.equal(await scrapeStatus(`Bearer ${SECRET}x`), 404)
    assert.equal(await scrapeStatus(`Bearer ${SECRET.slice(0, -1)}`), 404)
    assert.equal(await scrapeStatus(`Token ${SECRET}`), 404)
    assert.equal(await scrapeStatus('Bearer'), 404)
    assert.equal(await scrapeStatus(), 404)
  })

  test('an empty allow list and no secret: nobody', async ({ assert }) => {
    metricsAccess.configure({ allow: [], token: undefined })
    assert.equal(await scrapeStatus(), 404)
    assert.equal(await scrapeStatus('Bearer '), 404)
  })
})

test.group('GET /metrics: counters move', (group) => {
  truncateEachTest(group)

  test('an authenticated request: ok, a cache lookup, a timed request by route pattern', async ({
    assert,
  }) => {
    const { value, token } = await makeToken()
    const moved = await delta(async () => {
      assert.equal(await statusOf(me(value)), 200)
      assert.equal(
        await statusOf(rawRequest(`/api/v1/tokens/${token.id}123`, { method: 'DELETE' })),
        401
      )
    })

    assert.equal(moved('gatehouse_token_authentications_total', { outcome: 'ok' }), 1)
    assert.equal(
      moved('gatehouse_token_cache_hits_total') + moved('gatehouse_token_cache_misses_total'),
      1
    )
    const me200 = { method: 'GET', route: '/api/v1/me', status: '200' }
    assert.equal(moved('gatehouse_http_request_duration_seconds_count', me200), 1)
    assert.isAbove(moved('gatehouse_http_request_duration_seconds_sum', me200), 0)
    // The pattern, never the URL with its id.
    const scraped = await scrapeText()
    assert.include(scraped, 'route="/api/v1/tokens/:id",status="401"')
    assert.notInclude(scraped, `/api/v1/tokens/${token.id}123`)
  })

  test('the second use of a key is a token cache hit', async ({ assert }) => {
    const { value } = await makeToken()
    await untilCacheServes()
    const moved = await delta(async () => {
      assert.equal(await statusOf(me(value)), 200)
      assert.equal(await statusOf(me(value)), 200)
    })
    assert.equal(moved('gatehouse_token_cache_misses_total'), 1)
    assert.equal(moved('gatehouse_token_cache_hits_total'), 1)
  })

  test('bad keys: invalid, expired and inactive, each counted', async ({ assert }) => {
    const { value } = await makeToken()
    const expired = await makeToken()
    await expireToken(expired.token.id)
    const inactive = await makeToken(await makeUser({ isActive: false }))

    const moved = await delta(async () => {
      await me(value.slice(0, -1) + (value.endsWith('A') ? 'B' : 'A'))
      await me('gth_short')
      await rawRequest(urlFor('api.v1.me'), { headers: { authorization: 'Token a b' } })
      await me(expired.value)
      await me(inactive.value)
    })

    assert.equal(moved('gatehouse_token_authentications_total', { outcome: 'invalid' }), 3)
    assert.equal(moved('gatehouse_token_authentications_total', { outcome: 'expired' }), 1)
    assert.equal(moved('gatehouse_token_authentications_total', { outcome: 'inactive' }), 1)
    assert.equal(moved('gatehouse_token_authentications_total', { outcome: 'ok' }), 0)
  })

  test('sign-ins: ok and failed', async ({ assert }) => {
    const user = await makeUser()
    const moved = await delta(async () => {
      assert.equal(await statusOf(signIn(user.username, 'wrong password')), 400)
      assert.equal(await statusOf(signIn(user.username, PASSWORD)), 200)
    })
    assert.equal(moved('gatehouse_sign_ins_total', { outcome: 'failed' }), 1)
    assert.equal(moved('gatehouse_sign_ins_total', { outcome: 'ok' }), 1)
    assert.equal(moved('gatehouse_sign_ins_total', { outcome: 'throttled' }), 0)
  })

  test('sign-ins refused by the login throttle: throttled', async ({ assert }) => {
    const user = await makeUser()
    for (let i = 0; i < gatehouse.throttle.user.requests; i++) {
      await signIn(user.username, 'wrong password')
    }
    const moved = await delta(async () => {
      assert.equal(await statusOf(signIn(user.username, PASSWORD)), 429)
    })
    assert.equal(moved('gatehouse_sign_ins_total', { outcome: 'throttled' }), 1)
    assert.equal(moved('gatehouse_sign_ins_total', { outcome: 'ok' }), 0)
  })

  test('the password-hash queue: its depth, and sign-ins refused when it is full', async ({
    assert,
  }) => {
    // Every slot and queue place held, as a sign-in flood would.
    let release!: () => void
    const gate = new Promise<void>((resolve) => (release = resolve))
    const { hashing } = authService
    const held = Array.from({ length: hashing.limit + hashing.maxWaiting }, () =>
      hashing.run(() => gate)
    )
    try {
      const moved = await delta(async () => {
        assert.equal(await statusOf(signIn('nobody', 'wrong password')), 503)
      })
      assert.equal(moved('gatehouse_password_hash_refusals_total'), 1)
      const { text } = await scrape()
      assert.equal(sample(text, 'gatehouse_password_hash_queue_depth'), hashing.maxWaiting)
    } finally {
      release()
      await Promise.all(held)
    }
    assert.equal(sample(await scrapeText(), 'gatehouse_password_hash_queue_depth'), 0)
  })

  test('revocations by source: api and leaked', async ({ assert }) => {
    const { value, token } = await makeToken()
    const leaked = await makeToken()
    const moved = await delta(async () => {
      const response = await rawRequest(urlFor('api.v1.tokens.destroy', { id: token.id }), {
        method: 'DELETE',
        headers: { authorization: `Token ${value}` },
      })
      assert.equal(response.status, 204)
      await rawRequest(urlFor('api.v1.tokens.revoke_leaked'), {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ keys: [leaked.value, leaked.value, 'junk'] }),
      })
    })
    assert.equal(moved('gatehouse_token_revocations_total', { source: 'api' }), 1)
    assert.equal(moved('gatehouse_token_revocations_total', { source: 'leaked' }), 1)
  })

  test('revocations by source: staff in the console', async ({ assert, client }) => {
    const staff = await makeAccount({ role: 'staff' })
    const { token, user } = await makeToken()
    await tokenService.create(user, { name: 'second' })
    const moved = await delta(async () => {
      const one = await postForm(
        client,
        staff,
        urlFor('admin.tokens.revoke', { id: token.id })
      ).redirects(0)
      one.assertStatus(302)
      const all = await postForm(client, staff, urlFor('admin.users.revoke_all', { id: user.id }), {
        confirm: 'on',
      }).redirects(0)
      all.assertStatus(302)
    })
    assert.equal(moved('gatehouse_token_revocations_total', { source: 'staff' }), 2)
  })
})
