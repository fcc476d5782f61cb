import { test } from '@japa/runner'
import { urlFor } from '@adonisjs/core/services/url_builder'
import db from '@adonisjs/lucid/services/db'
import tokenAuthenticator from '#services/token_authenticator'
import emitter from '@adonisjs/core/services/emitter'
import hash from '@adonisjs/core/services/hash'
import encryption from '@adonisjs/core/services/encryption'
import { Encryption } from '@adonisjs/core/encryption'
import { AES256GCM } from '@adonisjs/core/encryption/drivers/aes_256_gcm'
import { truncateAll, isolateEachTest, truncateEachTest } from '#tests/helpers/database'
import { PASSWORD, makeToken, makeUser } from '#tests/helpers/factories'
import { generateKey } from '#services/token_key'
import authService from '#services/auth_service'

/** Records the SQL statements run while `fn` runs. */
async function recordQueries(fn: () => Promise<unknown>) {
  const queries: string[] = []
  const listener = (query: { sql: string }) => queries.push(query.sql)
  emitter.on('db:query', listener)
  try {
    await fn()
  } finally {
    emitter.off('db:query', listener)
  }
  const writes = queries.filter((sql) => /^\s*(insert|update|delete|replace)\b/i.test(sql))
  return { queries, writes }
}

test.group('Properties: a database copy is useless', (group) => {
  // Listed before the test's transaction: the schema query would wait for SQLite's one connection.
  let tables: string[] = []
  group.setup(async () => {
    tables = await db.connection().getAllTables(['public'])
  })
  isolateEachTest(group)

  test('no row holds a usable key; every stored value is refused as a key', async ({
    client,
    assert,
  }) => {
    const keys: string[] = []
    for (const username of ['alice', 'bob']) {
      await makeUser({ username })
      const obtained = await client.post('/api-token-auth/').json({ username, password: PASSWORD })
      keys.push(obtained.body().token)
      const login = await client
        .post(urlFor('api.v1.auth.login'))
        .json({ username, password: PASSWORD, name: 'phone' })
      keys.push(login.body().token.value)
    }
    const plain = await makeToken()
    keys.push(plain.value)

    // A full copy: every row, every column, of every table.
    const cells: string[] = []
    for (const table of tables) {
      const rows = await db.from(table).select('*')
      for (const row of rows) {
        for (const value of Object.values(row)) {
          if (value !== null && value !== undefined) cells.push(String(value))
        }
      }
    }
    assert.isAbove(cells.length, 20)

    for (const key of keys) {
      const secret = key.slice(4, 44)
      assert.isFalse(
        cells.some((cell) => cell.includes(secret)),
        'a key secret is stored in clear'
      )
    }
    assert.isFalse(cells.includes(PASSWORD), 'a password is stored in clear')

    for (const cell of new Set(cells)) {
      if (cell.length < 8 || /\s/.test(cell)) continue
      for (const scheme of ['Token', 'Bearer']) {
        const response = await client
          .get(urlFor('api.v1.protected'))
          .header('Authorization', `${scheme} ${cell}`)
        assert.equal(response.status(), 401, `a stored value authenticated (${scheme})`)
      }
    }
  })

  test('the get-or-create copy of a key opens only with the APP_KEY', async ({
    client,
    assert,
  }) => {
    await makeUser({ username: 'alice' })
    const obtained = await client
      .post('/api-token-auth/')
      .json({ username: 'alice', password: PASSWORD })
    const row = await db.from('auth_access_tokens').whereNotNull('encrypted_secret').firstOrFail()

    const stranger = new Encryption({
      driver: (key) => new AES256GCM({ id: 'gcm', key }),
      keys: [generateKey('another_app_key_').value],
    })
    assert.isNull(stranger.decrypt(row.encrypted_secret, 'gatehouse-token'))
    // Control: with the app's own key the same value does open.
    assert.equal(encryption.decrypt(row.encrypted_secret, 'gatehouse-token'), obtained.body().token)
    assert.notInclude(row.encrypted_secret, obtained.body().token)
  })
})

test.group('Properties: cost of a request', (group) => {
  // Committed rows: on SQLite the token cache reads through a connection of its own.
  truncateEachTest(group)

  test('a random or mistyped key is refused without any query', async ({ client, assert }) => {
    const { value } = await makeToken()
    const typo = value.slice(0, 10) + (value[10] === 'a' ? 'b' : 'a') + value.slice(11)
    const random = generateKey('gth_').value
    const badChecksum = random.slice(0, -1) + (random.at(-1) === '0' ? '1' : '0')
    for (const key of [badChecksum, typo, 'garbage', 'gth_short']) {
      const { queries } = await recordQueries(async () => {
        const response = await client
          .get(urlFor('api.v1.protected'))
          .header('Authorization', `Token ${key}`)
        assert.equal(response.status(), 401)
      })
      assert.deepEqual(queries, [], `key ${key.slice(0, 6)}… cost a query`)
    }
  })

  test('a steady-state authenticated request makes no query and no write', async ({
    client,
    assert,
  }) => {
    const { value } = await makeToken()

    const lookups = tokenAuthenticator.lookups
    const first = await recordQueries(async () => {
      const response = await client
        .get(urlFor('api.v1.protected'))
        .header('Authorization', `Token ${value}`)
      assert.equal(response.status(), 200)
    })
    assert.equal(tokenAuthenticator.lookups, lookups + 1, 'first use: one lookup')
    assert.lengthOf(first.writes, 1, 'first use: last_used_at')

    for (let i = 0; i < 5; i++) {
      const steady = await recordQueries(async () => {
        const response = await client
          .get(urlFor('api.v1.protected'))
          .header('Authorization', `Bearer ${value}`)
        assert.equal(response.status(), 200)
      })
      assert.lengthOf(steady.queries, 0, steady.queries.join('\n'))
      assert.equal(tokenAuthenticator.lookups, lookups + 1, 'answered from the token cache')
    }
  })

  test('last_used_at is written only after the secret is verified', async ({ client, assert }) => {
    const { token } = await makeToken()
    const { writes } = await recordQueries(async () => {
      const response = await client
        .get(urlFor('api.v1.protected'))
        .header('Authorization', `Token ${generateKey('gth_').value}`)
      assert.equal(response.status(), 401)
    })
    assert.lengthOf(writes, 0)
    const row = await db.from('auth_access_tokens').where('id', token.id).firstOrFail()
    assert.isNull(row.last_used_at)
  })
})

test.group('Properties: get-or-create under concurrency', (group) => {
  group.setup(() => truncateAll())

  test('30 parallel calls for one user and name → one live token, one key', async ({
    client,
    assert,
  }) => {
    const user = await makeUser({ username: 'racer' })
    const responses = await Promise.all(
      Array.from({ length: 30 }, () =>
        client.post('/api-token-auth/').json({ username: 'racer', password: PASSWORD })
      )
    )
    const keys = new Set(responses.map((response) => response.body().token))
    assert.deepEqual(
      responses.map((response) => response.status()),
      Array.from({ length: 30 }, () => 200)
    )
    assert.equal(keys.size, 1)
    const rows = await db.from('auth_access_tokens').where('tokenable_id', user.id)
    assert.lengthOf(rows, 1)
  })
})

test.group('Properties: password checks', (group) => {
  isolateEachTest(group)

  /** Counts password hash operations (make + verify) during `fn`. */
  async function countHashing(fn: () => Promise<unknown>) {
    const driver = hash.use('scrypt')
    const make = driver.make.bind(driver)
    const verify = driver.verify.bind(driver)
    let count = 0
    driver.make = async (value: string) => {
      count++
      return make(value)
    }
    driver.verify = async (hashed: string, value: string) => {
      count++
      return verify(hashed, value)
    }
    try {
      await fn()
    } finally {
      driver.make = make
      driver.verify = verify
    }
    return count
  }

  test('unknown user, wrong password, inactive user: one hash each, same answer', async ({
    assert,
  }) => {
    await makeUser({ username: 'alice' })
    await makeUser({ username: 'sleepy', isActive: false })
    const cases = [
      ['nobody', PASSWORD],
      ['alice', 'wrong password'],
      ['sleepy', PASSWORD],
      ['alice', 'x'.repeat(100_000)],
    ] as const
    for (const [username, password] of cases) {
      let result: unknown
      const hashes = await countHashing(async () => {
        result = await authService.attempt(username, password)
      })
      assert.isNull(result)
      assert.equal(hashes, 1, `${username}: ${hashes} hash operations`)
    }
  })

  test('an over-long password is never hashed', async ({ assert }) => {
    await makeUser({ username: 'alice' })
    const driver = hash.use('scrypt')
    const make = driver.make.bind(driver)
    const seen: number[] = []
    driver.make = async (value: string) => {
      seen.push(value.length)
      return make(value)
    }
    try {
      assert.isNull(await authService.attempt('alice', 'y'.repeat(1_000_000)))
    } finally {
      driver.make = make
    }
    assert.isTrue(seen.every((length) => length <= 256))
  })
})
