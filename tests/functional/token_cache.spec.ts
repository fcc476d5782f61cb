import { test } from '@japa/runner'
import { urlFor } from '@adonisjs/core/services/url_builder'
import { spawn } from 'node:child_process'
import http from 'node:http'
import v8 from 'node:v8'
import { runInNewContext } from 'node:vm'
import { Settings } from 'luxon'
import app from '@adonisjs/core/services/app'
import db from '@adonisjs/lucid/services/db'
import emitter from '@adonisjs/core/services/emitter'
import { Secret } from '@adonisjs/core/helpers'
import type { HttpContext } from '@adonisjs/core/http'
import { countCheckUsing } from '#tests/helpers/check_using'
import { TokenCache } from '#services/token_cache'
import tokenAuthenticator, { TokenAuthenticator } from '#services/token_authenticator'
import { PgNotifications } from '#services/auth_changes'
import authService from '#services/auth_service'
import tokenService from '#services/token_service'
import User from '#models/user'
import userService from '#services/user_service'
import { serializeUser } from '#transformers/user_transformer'
import { dialectName, truncateEachTest } from '#tests/helpers/database'
import { TcpProxy } from '#tests/helpers/tcp_proxy'
import { untilCacheServes } from '#tests/helpers/cache'
import { baseUrl } from '#tests/helpers/http'

const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

async function expectStatus(
  request: PromiseLike<{ assertStatus(status: number): void }>,
  status: number
) {
  const response = await request
  response.assertStatus(status)
}

async function accepts(authenticator: TokenAuthenticator, key: string) {
  const result = await authenticator.authenticate(new Secret(key))
  return result.ok
}

/** Runs one SQL statement from another OS process, straight on the driver (not through the app). */
function sqlFromAnotherProcess(sql: string) {
  const config = app.config.get<any>('database')
  const connection = config.connections[config.connection]
  const code =
    dialectName() === 'postgres'
      ? `import pg from 'pg'
         const client = new pg.Client(JSON.parse(process.env.TARGET))
         await client.connect(); await client.query(process.env.SQL); await client.end()`
      : `import Database from 'better-sqlite3'
         const file = new Database(JSON.parse(process.env.TARGET).filename)
         file.pragma('busy_timeout = 5000'); file.exec(process.env.SQL); file.close()`
  return new Promise<void>((resolve, reject) => {
    const child = spawn(process.execPath, ['--input-type=module', '-e', code], {
      cwd: app.makePath(),
      env: { ...process.env, SQL: sql, TARGET: JSON.stringify(connection.connection) },
      stdio: ['ignore', 'ignore', 'inherit'],
    })
    child.on('error', reject)
    child.on('exit', (status) =>
      status === 0 ? resolve() : reject(new Error(`child exited with ${status}`))
    )
  })
}

/** Database work behind a block: Lucid queries plus lookups on the prepared SQLite statement. */
async function databaseWork(block: () => Promise<unknown>) {
  let queries = 0
  const count = () => queries++
  emitter.on('db:query', count)
  const lookups = tokenAuthenticator.lookups
  try {
    await block()
  } finally {
    emitter.off('db:query', count)
  }
  return { queries, lookups: tokenAuthenticator.lookups - lookups }
}

/**
 * The token cache as every process runs it by default (SQLite and
 * PostgreSQL): proof that a hit costs no database work, and that every
 * change that can make a token unusable is seen on the next request, made
 * through the services, by raw SQL in this process, or from another process.
 */
test.group('Token cache', (group) => {
  truncateEachTest(group)
  group.each.setup(() => untilCacheServes())

  async function cachedToken(expiresIn: string | null = null) {
    const user = await userService.create({ username: 'alice', password: 'correct horse' })
    const { token, value } = await tokenService.create(user, { expiresIn })
    return { user, token, value, header: `Token ${value}` }
  }

  test('a verified token is answered from memory: no query, no write', async ({
    client,
    assert,
  }) => {
    const { header } = await cachedToken()
    await expectStatus(client.get(urlFor('api.v1.protected')).header('authorization', header), 200)

    const work = await databaseWork(async () => {
      for (let i = 0; i < 5; i++) {
        await expectStatus(
          client.get(urlFor('api.v1.protected')).header('authorization', header),
          200
        )
      }
    })
    assert.deepEqual(work, { queries: 0, lookups: 0 })
  })

  test('a cached key and a malformed one are answered without a promise; a miss with one', async ({
    assert,
  }) => {
    const { value } = await cachedToken()
    const miss = tokenAuthenticator.authenticate(new Secret(value))
    assert.instanceOf(miss, Promise, 'the first use looks the key up')
    const looked = await miss
    assert.isTrue(looked.ok)
    // last_used_at was written by the first use: the next ones need no I/O at all
    // (unless another connection committed meanwhile: then the cache catches up first).
    await tokenAuthenticator.authenticate(new Secret(value))
    const hit = tokenAuthenticator.authenticate(new Secret(value))
    assert.notInstanceOf(hit, Promise)
    assert.isTrue((hit as Awaited<typeof hit>).ok)
    const malformed = tokenAuthenticator.authenticate(new Secret(`${value.slice(0, -1)}!`))
    assert.deepEqual(malformed, { ok: false, reason: 'invalid' })
  })

  test('a key seen on a connection is not hashed again there; any other key is', async ({
    assert,
  }) => {
    const { value } = await cachedToken()
    const bob = await userService.create({ username: 'bob', password: 'correct horse' })
    const { value: other } = await tokenService.create(bob)
    const connection = {}
    const hashed = () => tokenAuthenticator.keysHashed
    const before = hashed()
    const userOf = async (key: string, on?: object) => {
      const result = await tokenAuthenticator.authenticate(new Secret(key), undefined, on)
      return result.ok ? result.user.username : result.reason
    }

    assert.equal(await userOf(value, connection), 'alice')
    assert.equal(await userOf(value, connection), 'alice')
    assert.equal(hashed() - before, 1, 'the same key again on its connection')
    assert.equal(await userOf(value, {}), 'alice')
    assert.equal(await userOf(value), 'alice')
    assert.equal(hashed() - before, 3, 'another connection, or none')
    // Another key on the same connection (a proxy carrying two clients) is its own.
    assert.equal(await userOf(other, connection), 'bob')
    assert.equal(await userOf(value, connection), 'alice')
    assert.equal(hashed() - before, 5)
    // A key one character off, on the connection that knows the right one: its checksum fails.
    const mistyped = value.slice(0, 10) + (value[10] === 'a' ? 'b' : 'a') + value.slice(11)
    assert.equal(await userOf(mistyped, connection), 'invalid')
    assert.equal(await userOf(`${value.slice(0, -1)}!`, connection), 'invalid')
    assert.equal(await userOf(value, connection), 'alice')
  })

  test('a key known on a keep-alive connection is refused there on the next request once revoked', async ({
    assert,
    cleanup,
  }) => {
    const { token, header } = await cachedToken()
    const agent = new http.Agent({ keepAlive: true, maxSockets: 1 })
    cleanup(() => agent.destroy())
    const sockets = new Set<unknown>()
    const get = () =>
      new Promise<{ status: number; body: string }>((resolve, reject) => {
        const url = new URL(urlFor('api.v1.protected'), baseUrl())
        const req = http.get(url, { agent, headers: { authorization: header } }, (res) => {
          let body = ''
          res.setEncoding('utf8')
          res.on('data', (chunk) => (body += chunk))
          res.on('end', () => resolve({ status: res.statusCode!, body }))
        })
        req.on('socket', (socket) => sockets.add(socket))
        req.on('error', reject)
      })

    const statusOf = async () => {
      const { status } = await get()
      return status
    }
    assert.equal(await statusOf(), 200)
    const hashed = tokenAuthenticator.keysHashed
    assert.equal(await statusOf(), 200)
    assert.equal(tokenAuthenticator.keysHashed, hashed, 'known on this connection')
    await db.from('auth_access_tokens').where('id', token.id).delete()
    assert.deepEqual(await get(), { status: 401, body: '{"detail":"Invalid token."}' })
    assert.equal(sockets.size, 1, 'every request on one connection')
  })

  test('a cached key is accepted without checkUsing, and ctx.auth knows its user at once', async ({
    client,
    assert,
    cleanup,
  }) => {
    const { header, user } = await cachedToken()
    // The first use looks the key up; the second reads the change its last_used_at write made.
    for (let i = 0; i < 2; i++) {
      await expectStatus(client.get(urlFor('api.v1.me')).header('authorization', header), 200)
    }
    const checkUsing = countCheckUsing(cleanup)
    let seen: Record<string, unknown> = {}
    const listener = ({ ctx }: { ctx: HttpContext }) => {
      seen = {
        via: ctx.auth.authenticatedViaGuard,
        isAuthenticated: ctx.auth.isAuthenticated,
        id: ctx.auth.user?.id,
      }
    }
    // After the route ran, whatever the answer: what ctx.auth says about the request.
    emitter.on('http:request_completed', listener as any)
    cleanup(() => emitter.off('http:request_completed', listener as any))

    const response = await client.get(urlFor('api.v1.me')).header('authorization', header)
    response.assertStatus(200)
    assert.equal(response.body().user.username, 'alice')
    assert.equal(checkUsing.calls, 0, 'accepted at once, not through checkUsing')
    await new Promise((resolve) => setImmediate(resolve))
    assert.deepEqual(seen, { via: 'api', isAuthenticated: true, id: user.id })
  })

  test('a request changing its user or token does not change what the cache holds', async ({
    assert,
  }) => {
    const { value } = await cachedToken()
    const first = await tokenAuthenticator.authenticate(new Secret(value))
    assert.isTrue(first.ok)
    if (!first.ok) return
    first.token.abilities.push('tokens:write')
    first.user.username = 'mallory'

    const lookups = tokenAuthenticator.lookups
    const second = await tokenAuthenticator.authenticate(new Secret(value))
    assert.equal(tokenAuthenticator.lookups, lookups, 'answered from the cache')
    assert.isTrue(second.ok)
    if (!second.ok) return
    assert.deepEqual(second.token.abilities, ['*'])
    assert.equal(second.user.username, 'alice')
    assert.deepEqual(second.user.currentAccessToken?.abilities, ['*'])
    // Built on first read, then the same instance; a guard may replace it; no token, no value.
    assert.strictEqual(second.user.currentAccessToken, second.token)
    second.user.currentAccessToken = first.token
    assert.strictEqual(second.user.currentAccessToken, first.token)
    assert.isUndefined(new User().currentAccessToken)
  })

  test("a cached answer builds no model until one is read; its user JSON is the model's", async ({
    assert,
    cleanup,
  }) => {
    const { user, value } = await cachedToken()
    // User.accessTokenExtras runs once per user model the authenticator builds.
    const build = User.accessTokenExtras
    let built = 0
    User.accessTokenExtras = (...args: Parameters<typeof build>) => {
      built++
      return build.apply(User, args)
    }
    cleanup(() => {
      User.accessTokenExtras = build
    })
    await tokenAuthenticator.authenticate(new Secret(value))
    await tokenAuthenticator.authenticate(new Secret(value))
    built = 0

    const hit = await tokenAuthenticator.authenticate(new Secret(value))
    assert.isTrue(hit.ok)
    if (!hit.ok) return
    const expected = JSON.stringify(serializeUser(await User.findOrFail(user.id)))
    assert.equal(hit.userJson?.(), expected)
    assert.equal(built, 0, 'answered without a model')

    // Read once: built, then the same model; a change made to it is what its JSON says.
    const model = hit.user
    assert.strictEqual(hit.user, model)
    assert.equal(built, 1)
    model.email = 'changed@example.test'
    assert.equal(JSON.parse(hit.userJson!()).email, 'changed@example.test')
    // Not the cache's: the next answer has the stored email.
    const next = await tokenAuthenticator.authenticate(new Secret(value))
    assert.isTrue(next.ok)
    if (next.ok) assert.equal(next.userJson?.(), expected)
  })

  test('answers leave nothing behind for the young-generation GC to promote', async ({
    assert,
  }) => {
    // An answer that outlived its request, even only until the next full GC, was copied by
    // every minor GC and promoted: ~1 KB of old generation per request, then concurrent
    // marking to reclaim it (an object literal with a getter did that: V8 keeps the getter,
    // and through its closure the request's user, in a hidden class of its own).
    const { value } = await cachedToken()
    v8.setFlagsFromString('--expose-gc')
    const gc = runInNewContext('gc') as (options?: { type: 'minor' | 'major' }) => void
    const oldSpace = () =>
      v8.getHeapSpaceStatistics().find((space) => space.space_name === 'old_space')!.space_used_size
    const authenticate = async () => {
      const result = await tokenAuthenticator.authenticate(new Secret(value))
      assert.isTrue(result.ok)
    }

    for (let i = 0; i < 200; i++) await authenticate()
    gc()
    const before = oldSpace()
    for (let i = 1; i <= 4000; i++) {
      await authenticate()
      if (i % 500 === 0) gc({ type: 'minor' })
    }
    gc({ type: 'minor' })
    gc({ type: 'minor' })
    const promotedKb = (oldSpace() - before) / 1024
    assert.isBelow(promotedKb, 1024, `${Math.round(promotedKb)} KB promoted by 4,000 answers`)
  })

  test('a sign-in or a last-used write evicts nothing', async ({ client, assert }) => {
    const { user, header } = await cachedToken()
    // First use: one lookup, one last-used write (which must not evict what it just stored).
    await expectStatus(client.get(urlFor('api.v1.protected')).header('authorization', header), 200)
    await authService.recordLogin(user)

    const work = await databaseWork(async () => {
      await expectStatus(
        client.get(urlFor('api.v1.protected')).header('authorization', header),
        200
      )
    })
    assert.equal(work.lookups, 0)
  })

  test('revoked through the API (logout): refused on the next request', async ({ client }) => {
    const { header } = await cachedToken()
    await expectStatus(client.get(urlFor('api.v1.protected')).header('authorization', header), 200)
    await expectStatus(
      client.post(urlFor('api.v1.auth.logout')).header('authorization', header),
      204
    )
    const response = await client.get(urlFor('api.v1.protected')).header('authorization', header)
    response.assertStatus(401)
    response.assertBody({ detail: 'Invalid token.' })
  })

  test('deactivated through the service: refused on the next request', async ({ client }) => {
    const { user, header } = await cachedToken()
    await expectStatus(client.get(urlFor('api.v1.protected')).header('authorization', header), 200)
    await userService.setActive(user, false)
    const response = await client.get(urlFor('api.v1.protected')).header('authorization', header)
    response.assertStatus(401)
    response.assertBody({ detail: 'User inactive or deleted.' })
  })

  test('raw SQL in this process: refused on the next request', async ({ client }) => {
    const { user, token, header } = await cachedToken()
    await expectStatus(client.get(urlFor('api.v1.protected')).header('authorization', header), 200)
    await db.from('users').where('id', user.id).update({ is_active: false })
    await expectStatus(client.get(urlFor('api.v1.protected')).header('authorization', header), 401)

    await db.from('users').where('id', user.id).update({ is_active: true })
    await expectStatus(client.get(urlFor('api.v1.protected')).header('authorization', header), 200)
    await db.from('auth_access_tokens').where('id', token.id).delete()
    await expectStatus(client.get(urlFor('api.v1.protected')).header('authorization', header), 401)
  })

  test('an expired token is refused even when cached', async ({ client, cleanup }) => {
    const { header } = await cachedToken('1h')
    await expectStatus(client.get(urlFor('api.v1.protected')).header('authorization', header), 200)
    const realNow = Settings.now
    cleanup(() => {
      Settings.now = realNow
    })
    Settings.now = () => Date.now() + 2 * 3600 * 1000
    const response = await client.get(urlFor('api.v1.protected')).header('authorization', header)
    response.assertStatus(401)
    response.assertBody({ detail: 'Token has expired.' })
  })

  /** SQLite: the very next request. PostgreSQL: as soon as the notification arrives (bounded wait). */
  async function refusedAfterChange(status: () => Promise<number>) {
    if (dialectName() !== 'postgres') return status()
    for (let i = 0; i < 500; i++) {
      const current = await status()
      if (current !== 200) return current
      await pause(10)
    }
    return 200
  }

  for (const [what, sql, detail] of [
    [
      'a token revoked',
      (user: number) => `DELETE FROM auth_access_tokens WHERE tokenable_id = ${user}`,
      'Invalid token.',
    ],
    [
      'a user deactivated',
      (user: number) => `UPDATE users SET is_active = (1 = 0) WHERE id = ${user}`,
      'User inactive or deleted.',
    ],
    [
      'a token expired',
      (user: number) =>
        `UPDATE auth_access_tokens SET expires_at = '2000-01-01 00:00:00' WHERE tokenable_id = ${user}`,
      'Token has expired.',
    ],
  ] as const) {
    test(`${what} by raw SQL from another process is refused`, async ({ client, assert }) => {
      const { user, header } = await cachedToken()
      const get = () => client.get(urlFor('api.v1.protected')).header('authorization', header)
      await expectStatus(get(), 200)
      const work = await databaseWork(async () => expectStatus(get(), 200))
      assert.equal(work.lookups, 0, 'answered from the cache before the change')

      await sqlFromAnotherProcess(sql(user.id))
      let body: unknown
      const status = await refusedAfterChange(async () => {
        const response = await get()
        body = response.body()
        return response.status()
      })
      assert.equal(status, 401)
      assert.deepEqual(body, { detail })
    })
  }
})

test.group('Token cache on PostgreSQL: the LISTEN connection', (group) => {
  const SKIP = dialectName() !== 'postgres'
  truncateEachTest(group)

  /** A cache of its own whose LISTEN connection runs through a proxy the test cuts. */
  async function isolated() {
    const config = app.config.get<any>('database.connections.pg.connection')
    const proxy = new TcpProxy({ host: config.host, port: config.port })
    await proxy.start()
    const cache = new TokenCache({ enabled: true, ttl: '30s', maxEntries: 100 })
    const feed = new PgNotifications({ ...config, port: proxy.port }, cache)
    cache.feed = feed
    feed.start()
    await untilCacheServes(cache)
    return { proxy, cache, feed, authenticator: new TokenAuthenticator(undefined, cache) }
  }

  test('the cache never serves while its LISTEN connection is down', async ({
    assert,
    cleanup,
  }) => {
    const { proxy, cache, feed, authenticator } = await isolated()
    cleanup(async () => {
      await feed.stop()
      await proxy.stop()
    })
    const user = await userService.create({ username: 'alice', password: 'correct horse' })
    const { token, value } = await tokenService.create(user, {})
    assert.isTrue(await accepts(authenticator, value))
    assert.equal(cache.size, 1)

    await proxy.stop()
    for (let i = 0; i < 100 && feed.up; i++) await pause(20)
    assert.isFalse(cache.serving)
    assert.equal(cache.size, 0)

    // Changed while nobody listens: the notification is lost, the database still answers.
    await db.from('auth_access_tokens').where('id', token.id).delete()
    const lookups = authenticator.lookups
    assert.deepEqual(await authenticator.authenticate(new Secret(value)), {
      ok: false,
      reason: 'invalid',
    })
    assert.equal(authenticator.lookups, lookups + 1)

    // Back up: it starts empty, so nothing missed can be served.
    await proxy.start()
    await untilCacheServes(cache)
    assert.equal(cache.size, 0)
    assert.isFalse(await accepts(authenticator, value))
  }).skip(SKIP, 'PostgreSQL only')

  test('a change from another connection reaches the cache quickly (p99 reported)', async ({
    assert,
    cleanup,
  }) => {
    const { proxy, cache, feed, authenticator } = await isolated()
    cleanup(async () => {
      await feed.stop()
      await proxy.stop()
    })
    const { default: pg } = await import('pg')
    const other = new pg.Client(app.config.get<any>('database.connections.pg.connection'))
    await other.connect()
    cleanup(() => other.end())

    const user = await userService.create({ username: 'alice', password: 'correct horse' })
    const delays: number[] = []
    for (let i = 0; i < 20; i++) {
      const { value } = await tokenService.create(user, { name: `t${i}` })
      assert.isTrue(await accepts(authenticator, value))
      assert.isAbove(cache.size, 0)
      const started = performance.now()
      await other.query('UPDATE users SET is_staff = NOT is_staff WHERE id = $1', [user.id])
      while (cache.size > 0) await pause(1)
      delays.push(performance.now() - started)
    }
    delays.sort((a, b) => a - b)
    const p99 = delays[Math.ceil(delays.length * 0.99) - 1]
    console.log(`    notification delay over ${delays.length} changes: p99 ${p99.toFixed(1)} ms`)
    assert.lengthOf(delays, 20)
  })
    .skip(SKIP, 'PostgreSQL only')
    .timeout(20_000)
})
