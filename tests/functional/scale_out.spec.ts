import { test } from '@japa/runner'
import { urlFor } from '@adonisjs/core/services/url_builder'
import { request } from 'node:http'
import app from '@adonisjs/core/services/app'
import db from '@adonisjs/lucid/services/db'
import redis from '@adonisjs/redis/services/main'
import env from '#start/env'
import gatehouse from '#config/gatehouse'
import { APPLICATION_NAME } from '#services/auth_changes'
import tokenService from '#services/token_service'
import userService from '#services/user_service'
import { dialectName, truncateEachTest } from '#tests/helpers/database'
import { AppProcess } from '#tests/helpers/app_process'
import { bootEarly } from '#tests/helpers/early_processes'

/*
| Two app processes (free ports) on one PostgreSQL, each with its token
| cache on (the default: invalidated by the database's triggers over
| LISTEN/NOTIFY). PostgreSQL only: two processes writing one SQLite file is
| not a deployment this test stands for. Both count login attempts in Redis
| (LIMITER_STORE=redis).
*/
const SKIP = dialectName() !== 'postgres'
const SKIP_REASON = 'needs PostgreSQL (DB_CONNECTION=pg) and Redis: two processes share them'
const PASSWORD = 'correct horse battery'

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
  call(port, 'GET', urlFor('api.v1.protected'), { authorization: `Token ${key}` })

async function statusOf(port: number, key: string) {
  const reply = await protectedAs(port, key)
  return reply.status
}

/**
 * The first refusal after a change. Another process hears of it by a
 * notification a few milliseconds after the commit, so this retries
 * (bounded) while the answer is still 200; token_cache.spec.ts reports the delay.
 */
async function firstRefusal(port: number, key: string) {
  let reply = await protectedAs(port, key)
  for (let attempt = 0; attempt < 500 && reply.status === 200; attempt++) {
    await new Promise((resolve) => setTimeout(resolve, 10))
    reply = await protectedAs(port, key)
  }
  return reply
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
      LIMITER_STORE: 'redis',
    },
  })
}

/** Waits until both processes LISTEN for auth changes (their caches serve only then). */
async function waitUntilListening(processes: AppProcess[]) {
  const names = processes.map((one) => `${APPLICATION_NAME}:${one.pid}`)
  for (let attempt = 0; attempt < 500; attempt++) {
    const { rows } = await db.rawQuery(
      'SELECT count(DISTINCT application_name) AS n FROM pg_stat_activity WHERE application_name = ANY(?)',
      [names]
    )
    if (Number(rows[0].n) === names.length) return
    await new Promise((resolve) => setTimeout(resolve, 20))
  }
  throw new Error('the app processes did not LISTEN for auth changes')
}

test.group('Scale-out: two app processes, one PostgreSQL, one Redis', (group) => {
  let A = 0
  let B = 0
  let processes: AppProcess[] = []

  truncateEachTest(group)
  // Booted in the background from the start of the run (tests/helpers/early_processes.ts).
  const booted = SKIP
    ? []
    : [bootEarly('scale-out: A', startProcess), bootEarly('scale-out: B', startProcess)]
  group.setup(async () => {
    if (SKIP) return
    processes = await Promise.all(booted.map((take) => take()))
    ;[A, B] = processes.map((one) => one.port)
    await waitUntilListening(processes)
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

  test('a token deleted by raw SQL is refused by both', async ({ assert }) => {
    const key = await obtainThrough(A)
    for (const port of [A, B]) {
      assert.equal(await statusOf(port, key), 200)
      assert.equal(await statusOf(port, key), 200)
    }

    // Behind every service's back, as an operator in psql would.
    await db.rawQuery('DELETE FROM auth_access_tokens')
    for (const port of [A, B]) {
      const reply = await firstRefusal(port, key)
      assert.equal(reply.status, 401, `port ${port}`)
      assert.deepEqual(reply.body, { detail: 'Invalid token.' })
    }
  }).skip(SKIP, SKIP_REASON)

  test('revoked through one process, refused by the other', async ({ assert }) => {
    const key = await obtainThrough(A)
    assert.equal(await statusOf(B, key), 200)
    assert.equal(await statusOf(B, key), 200)

    const logout = await call(A, 'POST', urlFor('api.v1.auth.logout'), {
      authorization: `Token ${key}`,
    })
    assert.equal(logout.status, 204)

    const onB = await firstRefusal(B, key)
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
      const reply = await firstRefusal(port, key)
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

    for (const port of [A, B]) {
      const reply = await firstRefusal(port, key)
      assert.equal(reply.status, 401)
    }
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
