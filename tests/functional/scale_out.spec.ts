import { test } from '@japa/runner'
import { request } from 'node:http'
import app from '@adonisjs/core/services/app'
import db from '@adonisjs/lucid/services/db'
import redis from '@adonisjs/redis/services/main'
import env from '#start/env'
import gatehouse from '#config/gatehouse'
import tokenCache from '#services/token_cache'
import tokenService from '#services/token_service'
import userService from '#services/user_service'
import { dialectName, truncateEachTest } from '#tests/helpers/database'
import { AppProcess } from '#tests/helpers/app_process'

/*
| Two app processes (free ports) on one PostgreSQL and one Redis,
| each with its token cache on (TOKEN_CACHE=redis). PostgreSQL only: two
| processes writing one SQLite file is not a deployment this test stands for.
| Both count login attempts in Redis (LIMITER_STORE=redis).
*/
const SKIP = dialectName() !== 'postgres'
const SKIP_REASON = 'needs PostgreSQL (DB_CONNECTION=pg) and Redis: two processes share them'
const PASSWORD = 'correct horse battery'
const CHANNEL = `gatehouse:scale-out-test:${process.pid}`

interface Reply {
  status: number
  body: any
}

/** One HTTP request to a process, on a fresh connection. */
function call(port: number, method: string, path: string, headers = {}, body?: unknown) {
  return new Promise<Reply>((resolve, reject) => {
    const payload = body === undefined ? undefined : JSON.stringify(body)
    const req = request(
      {
        host: '127.0.0.1',
        port,
        method,
        path,
        agent: false,
        headers: {
          accept: 'application/json',
          ...headers,
          ...(payload ? { 'content-type': 'application/json' } : {}),
        },
      },
      (res) => {
        let text = ''
        res.setEncoding('utf8')
        res.on('data', (chunk) => (text += chunk))
        res.on('end', () =>
          resolve({ status: res.statusCode!, body: text ? JSON.parse(text) : null })
        )
      }
    )
    req.on('error', reject)
    req.end(payload)
  })
}

const protectedAs = (port: number, key: string) =>
  call(port, 'GET', '/api/v1/protected', { authorization: `Token ${key}` })

async function statusOf(port: number, key: string) {
  const reply = await protectedAs(port, key)
  return reply.status
}

function startProcess() {
  const database = app.config.get<any>('database.connections.pg.connection')
  return AppProcess.start({
    env: {
      APP_KEY: env.get('APP_KEY').release(),
      LOG_LEVEL: 'error',
      DB_CONNECTION: 'pg',
      DB_DATABASE: database.database,
      DB_AUTO_MIGRATE: 'false',
      TOKEN_CACHE: 'redis',
      TOKEN_CACHE_CHANNEL: CHANNEL,
      LIMITER_STORE: 'redis',
    },
  })
}

/** Waits until both processes are subscribed to the invalidation channel. */
async function waitUntilSubscribed(count: number) {
  for (let attempt = 0; attempt < 100; attempt++) {
    const [, subscribers] = (await redis.pubsub('NUMSUB', CHANNEL)) as [string, number]
    if (Number(subscribers) >= count) {
      // A subscriber turns its cache on right after its subscription is confirmed.
      await new Promise((resolve) => setTimeout(resolve, 200))
      return
    }
    await new Promise((resolve) => setTimeout(resolve, 100))
  }
  throw new Error('the app processes did not subscribe to the token cache channel')
}

test.group('Scale-out: two app processes, one PostgreSQL, one Redis', (group) => {
  let A = 0
  let B = 0
  let processes: AppProcess[] = []

  truncateEachTest(group)
  group.setup(async () => {
    if (SKIP) return
    processes = await Promise.all([startProcess(), startProcess()])
    ;[A, B] = processes.map((one) => one.port)
    await waitUntilSubscribed(2)
  })
  group.teardown(async () => {
    await Promise.all(processes.map((one) => one.stop()))
  })

  /** The processes' throttle counters live in Redis: start each test from none. */
  group.each.setup(async () => {
    if (SKIP) return
    const keys = await redis.keys('gatehouse:throttle:*')
    if (keys.length > 0) await redis.del(...keys)
  })

  /** This test process plays `node ace …` in another process: it publishes, never caches. */
  group.each.setup(() => {
    const { mode, channel } = tokenCache.config
    tokenCache.config.mode = 'redis'
    tokenCache.config.channel = CHANNEL
    return () => {
      tokenCache.config.mode = mode
      tokenCache.config.channel = channel
    }
  })

  async function obtainThrough(port: number) {
    await userService.create({ username: 'alice', password: PASSWORD })
    const reply = await call(
      port,
      'POST',
      '/api-token-auth/',
      {},
      { username: 'alice', password: PASSWORD }
    )
    return reply.body.token as string
  }

  test('a token obtained through one process works on the other', async ({ assert }) => {
    const key = await obtainThrough(A)
    assert.match(key, /^gth_/)
    const onB = await protectedAs(B, key)
    assert.equal(onB.status, 200)
    assert.equal(onB.body.user.username, 'alice')
  }).skip(SKIP, SKIP_REASON)

  test('each process answers a known token from its cache', async ({ assert }) => {
    const key = await obtainThrough(A)
    assert.equal(await statusOf(B, key), 200)

    // Deleted behind the services' back (no invalidation): only B's cache still knows it.
    await db.from('auth_access_tokens').delete()
    assert.equal(await statusOf(B, key), 200)
    assert.equal(await statusOf(A, key), 401)
  }).skip(SKIP, SKIP_REASON)

  test('revoked through one process, refused by the other on the next request', async ({
    assert,
  }) => {
    const key = await obtainThrough(A)
    assert.equal(await statusOf(B, key), 200)
    assert.equal(await statusOf(B, key), 200)

    const logout = await call(A, 'POST', '/api/v1/auth/logout', { authorization: `Token ${key}` })
    assert.equal(logout.status, 204)

    const onB = await protectedAs(B, key)
    assert.equal(onB.status, 401)
    assert.deepEqual(onB.body, { detail: 'Invalid token.' })
  }).skip(SKIP, SKIP_REASON)

  test('a change made in a third process (like node ace) reaches both', async ({ assert }) => {
    const key = await obtainThrough(A)
    assert.equal(await statusOf(A, key), 200)
    assert.equal(await statusOf(B, key), 200)

    const alice = (await userService.findByUsername('alice'))!
    await userService.setActive(alice, false)

    for (const port of [A, B]) {
      const reply = await protectedAs(port, key)
      assert.equal(reply.status, 401)
      assert.deepEqual(reply.body, { detail: 'User inactive or deleted.' })
    }
  }).skip(SKIP, SKIP_REASON)

  test('a token revoked in a third process is refused by both', async ({ assert }) => {
    const key = await obtainThrough(B)
    assert.equal(await statusOf(A, key), 200)
    assert.equal(await statusOf(B, key), 200)

    const alice = (await userService.findByUsername('alice'))!
    const [token] = await tokenService.list(alice)
    await tokenService.revoke(alice, token.id)

    assert.equal(await statusOf(A, key), 401)
    assert.equal(await statusOf(B, key), 401)
  }).skip(SKIP, SKIP_REASON)

  test('the login throttle counts failed attempts made through both processes', async ({
    assert,
  }) => {
    await userService.create({ username: 'alice', password: PASSWORD })
    const attempt = (port: number, password: string) =>
      call(port, 'POST', '/api-token-auth/', {}, { username: 'alice', password })

    const limit = gatehouse.throttle.user.requests
    for (let i = 0; i < limit; i++) {
      const reply = await attempt(i % 2 === 0 ? A : B, 'wrong password')
      assert.equal(reply.status, 400, `attempt ${i + 1}`)
    }
    // Over the limit on either process, even with the right password.
    for (const port of [A, B]) {
      const reply = await attempt(port, PASSWORD)
      assert.equal(reply.status, 429)
      assert.match(
        reply.body.detail,
        /^Request was throttled\. Expected available in \d+ seconds?\.$/
      )
    }
  }).skip(SKIP, SKIP_REASON)
})
