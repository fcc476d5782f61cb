import { randomUUID } from 'node:crypto'
import { test } from '@japa/runner'
import db from '@adonisjs/lucid/services/db'
import redis from '@adonisjs/redis/services/main'
import { errors as limiterErrors } from '@adonisjs/limiter'
import gatehouse from '#config/gatehouse'
import userService from '#services/user_service'
import { LoginThrottle } from '#services/login_throttle'
import { isolateEachTest } from '#tests/helpers/database'

const PASSWORD = 'correct horse battery'
const STORES = ['memory', 'redis', 'database'] as const

/**
 * The same throttle on each store of config/limiter.ts: failures count, a
 * block answers with a ThrottleException, a success clears the count. Each
 * test uses a fresh username, so nothing needs clearing in Redis.
 */
test.group('Login throttle stores', (group) => {
  isolateEachTest(group)

  test('{$self} store: failures block, a success clears them')
    .with([...STORES])
    .run(async ({ assert }, store) => {
      const username = `u${randomUUID().slice(0, 8)}`
      await userService.create({ username, password: PASSWORD })
      const config = { ...gatehouse.throttle, user: { ...gatehouse.throttle.user, requests: 3 } }
      const throttle = new LoginThrottle(config, store)
      const ip = '203.0.113.7'

      try {
        assert.isNull(await throttle.attempt(username, 'wrong', ip))
        assert.isNull(await throttle.attempt(username, 'wrong', ip))
        assert.isNotNull(await throttle.attempt(username, PASSWORD, ip))

        for (let i = 0; i < 3; i++) assert.isNull(await throttle.attempt(username, 'wrong', ip))
        await assert.rejects(
          () => throttle.attempt(username, PASSWORD, ip),
          limiterErrors.E_TOO_MANY_REQUESTS
        )
        // Another address is counted apart.
        assert.isNotNull(await throttle.attempt(username, PASSWORD, '203.0.113.8'))

        if (store === 'database') {
          const rows = await db.from('rate_limits').select('key')
          assert.isTrue(rows.some((row) => row.key.includes('login:user:')))
          assert.isFalse(rows.some((row) => row.key.includes(username)))
        }
        if (store === 'redis') {
          const keys = await redis.keys('gatehouse:throttle:login:user:*')
          assert.isAbove(keys.length, 0)
        }
      } finally {
        await throttle.clear(username, ip)
        await throttle.clear(username, '203.0.113.8')
      }
    })
})
