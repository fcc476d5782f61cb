import { test } from '@japa/runner'
import { urlFor } from '@adonisjs/core/services/url_builder'
import app from '@adonisjs/core/services/app'
import db from '@adonisjs/lucid/services/db'
import tokenService from '#services/token_service'
import userService from '#services/user_service'
import { dialectName, truncateEachTest } from '#tests/helpers/database'
import { TcpProxy } from '#tests/helpers/tcp_proxy'

const PASSWORD = 'correct horse battery'
const FAULT_CONNECTION = 'pg_through_proxy'
const SKIP_REASON =
  'PostgreSQL only: an embedded SQLite file cannot become unreachable. Run with DB_CONNECTION=pg.'

/**
 * The app's primary connection is pointed, for the duration of a test, at a
 * TCP proxy in front of PostgreSQL, which the test then cuts, blackholes and
 * restores. The shared PostgreSQL server itself is never touched.
 */
async function routeDatabaseThrough(proxy: TcpProxy) {
  const config = app.config.get<any>('database')
  const pg = config.connections[config.connection]
  db.manager.add(FAULT_CONNECTION, {
    ...pg,
    // The app's bounds on a server that never answers (asserted in the test), shorter, so
    // that each hanging request takes 0.3 s here instead of 3 s.
    pool: { ...pg.pool, createTimeoutMillis: 300, acquireTimeoutMillis: 500 },
    connection: {
      ...pg.connection,
      host: '127.0.0.1',
      port: proxy.port,
      connectionTimeoutMillis: 300,
    },
  })
  const primary = db.primaryConnectionName
  db.primaryConnectionName = FAULT_CONNECTION
  return async () => {
    db.primaryConnectionName = primary
    await db.manager.close(FAULT_CONNECTION, true)
  }
}

test.group('Database faults', (group) => {
  truncateEachTest(group)

  test('database unreachable: 503 with a detail, /health not ready; back: requests succeed')
    .skip(() => dialectName() !== 'postgres', SKIP_REASON)
    .timeout(60_000)
    .run(async ({ client, assert }) => {
      const user = await userService.create({ username: 'alice', password: PASSWORD })
      const { value } = await tokenService.create(user, { name: 'probe' })
      const { connection: pg, pool } = app.config.get<any>('database').connections.pg
      // What bounds a request when the server accepts and never answers (shortened below).
      assert.isAtMost(pg.connectionTimeoutMillis, 5000)
      assert.isAtMost(pool.createTimeoutMillis, 5000)
      assert.isAtMost(pool.acquireTimeoutMillis, 10_000)
      const proxy = new TcpProxy({ host: pg.host, port: pg.port })
      await proxy.start()
      const restore = await routeDatabaseThrough(proxy)

      const me = () => client.get(urlFor('api.v1.me')).header('authorization', `Token ${value}`)
      // A key the token cache has not seen: its check needs the database. (Only the pool is
      // cut here; the cache's own LISTEN connection stays up and still vouches for `value`.)
      const { value: unseen } = await tokenService.create(user, { name: 'unseen' })
      const meUnseen = () =>
        client.get(urlFor('api.v1.me')).header('authorization', `Token ${unseen}`)
      const signIn = () =>
        client.post('/api-token-auth/').json({ username: 'alice', password: PASSWORD })
      const expectStatus = async (request: ReturnType<typeof me>, status: number) => {
        const response = await request
        response.assertStatus(status)
      }
      const assertUnavailable = (response: Awaited<ReturnType<typeof me>>) => {
        response.assertStatus(503)
        assert.isString(response.body().detail)
        assert.notInclude(JSON.stringify(response.body()), unseen)
        response.assertHeader('retry-after', '5')
      }

      try {
        await expectStatus(me(), 200)

        // Refused: every connection cut, no new one accepted.
        await proxy.stop()
        assertUnavailable(await meUnseen())
        assertUnavailable(await signIn())
        const health = await client.get(urlFor('health'))
        health.assertStatus(503)
        assert.equal(health.body().database, 'down')

        // Hanging: connections accepted, never answered. Still a bounded 503
        // (node-postgres connect timeout / pool acquire timeout), no hang.
        await proxy.start('blackhole')
        assertUnavailable(await meUnseen())
        await expectStatus(client.get(urlFor('health')), 503)

        // Back: the same process serves again, no restart.
        await proxy.start('forward')
        await expectStatus(me(), 200)
        await expectStatus(signIn(), 200)
        await expectStatus(client.get(urlFor('health')), 200)
      } finally {
        await restore()
        await proxy.stop()
      }
    })
})
