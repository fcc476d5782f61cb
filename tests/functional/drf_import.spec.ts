import { test } from '@japa/runner'
import { urlFor } from '@adonisjs/core/services/url_builder'
import type { ApiClient } from '@japa/api-client'
import type { Assert } from '@japa/assert'
import pg from 'pg'
import db from '@adonisjs/lucid/services/db'
import User from '#models/user'
import tokenService, { currentKeyId } from '#services/token_service'
import drfImportService from '#services/drf_import_service'
import userService from '#services/user_service'
import { loadBcrypt } from '#hashing/django_hasher'
import { hashKey } from '#services/token_key'
import { isolateEachTest } from '#tests/helpers/database'
import {
  loadPgFixture,
  manifest,
  sqliteFixture,
  type ManifestUser,
} from '#tests/helpers/drf_fixtures'

/** DRF's path as its clients hard-code it; Gatehouse's own routes by name. */
const urls = {
  obtain: '/api-token-auth/',
  login: () => urlFor('api.v1.auth.login'),
  logout: () => urlFor('api.v1.auth.logout'),
  protected: () => urlFor('api.v1.protected'),
  index: () => urlFor('api.v1.tokens.index'),
}

/**
 * Signs in with every manifest password and calls the protected view with
 * every manifest key, checking each case against what the manifest says.
 */
async function assertBehavesAsManifest(client: ApiClient, assert: Assert, users: ManifestUser[]) {
  // bcrypt is a dependency: bcrypt_sha256 users must sign in like the rest.
  assert.isNotNull(await loadBcrypt(), 'the bcrypt package is not installed')
  for (const user of users) {
    const canSignIn = user.is_active && user.password !== null
    const response = await client
      .post(urls.obtain)
      .json({ username: user.username, password: user.password ?? user.password_hash })

    if (canSignIn) {
      response.assertStatus(200)
      const key = response.body().token
      if (user.token) assert.equal(key, user.token, `${user.username} gets their DRF key back`)
      else assert.match(key, /^gth_/, `${user.username} gets a new Gatehouse key`)
    } else {
      response.assertStatus(400)
      response.assertBody({ non_field_errors: ['Unable to log in with provided credentials.'] })
    }

    if (!user.token) continue
    const protectedResponse = await client
      .get(urls.protected())
      .header('Authorization', `Token ${user.token}`)
    if (user.is_active) {
      protectedResponse.assertStatus(200)
      assert.equal(protectedResponse.body().user.username, user.username)
      assert.equal(protectedResponse.body().user.isStaff, user.is_staff)
      assert.equal(protectedResponse.body().user.isSuperuser, user.is_superuser)
    } else {
      protectedResponse.assertStatus(401)
      protectedResponse.assertBody({ detail: 'User inactive or deleted.' })
    }
  }
}

async function manifestUser(name: 'manifest.json', username: string) {
  const users = await manifest(name)
  return users.find((user) => user.username === username)!
}

async function carolIsActive() {
  const carol = await User.findByOrFail('username', 'carol')
  return carol.isActive
}

async function snapshot() {
  return {
    users: await db.from('users').orderBy('id').select('*'),
    tokens: await db.from('auth_access_tokens').orderBy('id').select('*'),
  }
}

test.group('drf:import | SQLite source', (group) => {
  isolateEachTest(group)

  test('every manifest password and token behaves as in Django', async ({ client, assert }) => {
    const users = await manifest('manifest.json')
    const summary = await drfImportService.run(sqliteFixture())

    assert.equal(summary.users.imported, users.length)
    assert.equal(summary.tokens.imported, users.filter((user) => user.token).length)
    assert.includeMembers(summary.weakFormats, ['md5'])
    assert.equal(summary.passwordFormats.unusable, 1)

    await assertBehavesAsManifest(client, assert, users)
  })

  test('users keep their flags, dates and Django hash; keys are stored hashed', async ({
    assert,
  }) => {
    const users = await manifest('manifest.json')
    await drfImportService.run(sqliteFixture())

    for (const expected of users) {
      const user = await User.findByOrFail('username', expected.username)
      assert.equal(user.password, expected.password_hash)
      assert.equal(user.email, expected.email || null)
      assert.equal(user.isActive, expected.is_active)
      assert.equal(user.isStaff, expected.is_staff)
      assert.equal(user.isSuperuser, expected.is_superuser)
      assert.equal(user.createdAt.year, 2026)
      assert.isNull(user.lastLoginAt)
    }

    const tokens = await db.from('auth_access_tokens').select('*')
    assert.lengthOf(tokens, users.filter((user) => user.token).length)
    const plaintext = new Set(users.map((user) => user.token))
    for (const token of tokens) {
      assert.isFalse(plaintext.has(token.hash), 'the plaintext key is not stored')
      assert.equal(token.source, 'drf')
      assert.equal(token.name, 'default')
      assert.isNull(token.expires_at)
      assert.isNotNull(token.encrypted_secret)
      // Sealed the way Gatehouse seals its own keys: with the fingerprint of the APP_KEY used.
      assert.equal(token.secret_key_id, currentKeyId())
    }
    const alice = users.find((user) => user.username === 'alice')!
    assert.isTrue(tokens.some((token) => token.hash === hashKey(alice.token!)))
  })

  test('the first successful sign-in re-hashes the password with scrypt', async ({
    client,
    assert,
  }) => {
    const alice = await manifestUser('manifest.json', 'alice')
    await drfImportService.run(sqliteFixture())

    const first = await client.post(urls.login()).json({
      username: 'alice',
      password: alice.password,
    })
    first.assertStatus(200)
    assert.equal(first.body().token.value, alice.token)
    assert.equal(first.body().token.source, 'drf')

    const stored = await User.findByOrFail('username', 'alice')
    assert.match(stored.password, /^\$scrypt\$/)

    const again = await client.post(urls.obtain).json({
      username: 'alice',
      password: alice.password,
    })
    again.assertStatus(200)
    assert.equal(again.body().token, alice.token)
    const wrong = await client.post(urls.obtain).json({
      username: 'alice',
      password: 'not-her-password',
    })
    wrong.assertStatus(400)

    // A later import does not put the Django hash back.
    await drfImportService.run(sqliteFixture())
    const reimported = await User.findByOrFail('username', 'alice')
    assert.match(reimported.password, /^\$scrypt\$/)
  })

  test('imported keys are listed as imported from DRF and can be revoked', async ({
    client,
    assert,
  }) => {
    const alice = await manifestUser('manifest.json', 'alice')
    await drfImportService.run(sqliteFixture())

    const list = await client.get(urls.index()).header('Authorization', `Bearer ${alice.token}`)
    list.assertStatus(200)
    const [token] = list.body().tokens
    assert.equal(token.source, 'drf')
    assert.equal(token.sourceLabel, 'imported from DRF')
    assert.equal(token.hint, alice.token!.slice(0, 4))
    assert.notProperty(token, 'value')

    const logout = await client.post(urls.logout()).header('Authorization', `Token ${alice.token}`)
    logout.assertStatus(204)
    const after = await client.get(urls.protected()).header('Authorization', `Token ${alice.token}`)
    after.assertStatus(401)
  })

  test('re-running the import changes nothing', async ({ assert }) => {
    await drfImportService.run(sqliteFixture())
    const before = await snapshot()

    const summary = await drfImportService.run(sqliteFixture(), { batchSize: 2 })
    assert.deepEqual(await snapshot(), before)
    assert.equal(summary.users.imported + summary.users.updated, 0)
    assert.equal(summary.users.unchanged, before.users.length)
    assert.equal(summary.tokens.imported + summary.tokens.updated + summary.tokens.revoked, 0)
    assert.equal(summary.tokens.unchanged, before.tokens.length)
  })

  test('a re-run restores rows changed here and revokes keys gone from DRF', async ({ assert }) => {
    await drfImportService.run(sqliteFixture())
    await db
      .from('users')
      .where('username', 'carol')
      .update({ is_staff: false, email: 'changed@example.com' })
    const carol = await User.findByOrFail('username', 'carol')
    const extra = await tokenService.create(carol, { name: 'default', expiresIn: null })
    await db.from('auth_access_tokens').where('id', extra.token.id).update({ source: 'drf' })

    const summary = await drfImportService.run(sqliteFixture())
    assert.equal(summary.users.updated, 1)
    assert.equal(summary.tokens.revoked, 1)
    await carol.refresh()
    assert.isTrue(carol.isStaff)
    assert.equal(carol.email, 'carol@example.com')
    assert.isNull(await db.from('auth_access_tokens').where('id', extra.token.id).first())
  })

  test('a re-run does not undo a revocation or a deactivation done in Gatehouse', async ({
    client,
    assert,
  }) => {
    const alice = await manifestUser('manifest.json', 'alice')
    const carol = await manifestUser('manifest.json', 'carol')
    await drfImportService.run(sqliteFixture())

    // Revoked through the API with the key itself; carol deactivated as user:deactivate does.
    const list = await client.get(urls.index()).header('Authorization', `Token ${alice.token}`)
    const [token] = list.body().tokens
    const revoke = await client
      .delete(urlFor('api.v1.tokens.destroy', { id: token.id }))
      .header('Authorization', `Token ${alice.token}`)
    revoke.assertStatus(204)
    await userService.setActive(await User.findByOrFail('username', 'carol'), false)

    const summary = await drfImportService.run(sqliteFixture())
    const key = await client.get(urls.protected()).header('Authorization', `Token ${alice.token}`)
    key.assertStatus(401)
    const carolKey = await client
      .get(urls.protected())
      .header('Authorization', `Token ${carol.token}`)
    carolKey.assertStatus(401)
    assert.isFalse(await carolIsActive())
    assert.deepEqual(summary.leftAlone, {
      'key revoked in Gatehouse: not brought back': { count: 1, examples: ['alice'] },
      'deactivated in Gatehouse: is_active kept': { count: 1, examples: ['carol'] },
    })
    assert.equal(summary.tokens.imported, 0)

    // Still true on the run after, and for keys revoked by the CLI or by pruning too.
    const again = await drfImportService.run(sqliteFixture())
    assert.equal(again.tokens.imported, 0)
    assert.isFalse(await carolIsActive())
    // Activated here again: Gatehouse's choice still wins over Django's.
    await userService.setActive(await User.findByOrFail('username', 'carol'), true)
    await drfImportService.run(sqliteFixture())
    assert.isTrue(await carolIsActive())
  })

  test('a user deleted or renamed in Gatehouse is not re-created', async ({ client, assert }) => {
    const carol = await manifestUser('manifest.json', 'carol')
    await drfImportService.run(sqliteFixture())
    const deleted = await User.findByOrFail('username', 'carol')
    await deleted.delete()
    const renamed = await User.findByOrFail('username', 'erin')
    await userService.update(renamed, { username: 'erin.renamed' })

    const summary = await drfImportService.run(sqliteFixture())
    assert.isNull(await User.findBy('username', 'carol'))
    assert.isNull(await User.findBy('username', 'erin'))
    assert.deepEqual(summary.leftAlone, {
      'deleted or renamed in Gatehouse: not re-created': { count: 2, examples: ['carol', 'erin'] },
    })
    const signIn = await client
      .post(urls.obtain)
      .json({ username: 'carol', password: carol.password })
    signIn.assertStatus(400)
  })

  test('a key deleted by any path (here: SQL, as token:prune does) is never re-imported', async ({
    client,
  }) => {
    const users = await manifest('manifest.json')
    const dave = users.find((user) => user.token && user.is_active)!
    await drfImportService.run(sqliteFixture())
    await db.from('auth_access_tokens').where('hash', hashKey(dave.token!)).delete()
    await drfImportService.run(sqliteFixture(), { batchSize: 1 })
    const response = await client
      .get(urls.protected())
      .header('Authorization', `Token ${dave.token}`)
    response.assertStatus(401)
  })

  test('a dry run reports and writes nothing', async ({ assert }) => {
    const summary = await drfImportService.run(sqliteFixture(), { dryRun: true })
    assert.isTrue(summary.dryRun)
    assert.equal(summary.users.imported, 9)
    assert.equal(summary.tokens.imported, 7)
    assert.deepEqual(await snapshot(), { users: [], tokens: [] })
  })

  test('--only-users imports no tokens', async ({ assert }) => {
    const summary = await drfImportService.run(sqliteFixture(), { onlyUsers: true })
    assert.equal(summary.users.imported, 9)
    assert.equal(summary.tokens.seen, 0)
    assert.lengthOf(await db.from('auth_access_tokens').select('id'), 0)
  })

  test('existing Gatehouse users win: their password, their email, their get-or-create key', async ({
    client,
    assert,
  }) => {
    const users = await manifest('manifest.json')
    const alice = users.find((user) => user.username === 'alice')!
    const admin = users.find((user) => user.username === 'admin')!
    // Someone here already uses admin's email; alice already has a Gatehouse key.
    await User.create({ username: 'root', email: 'admin@example.com', password: 'x'.repeat(12) })
    const native = await User.create({
      username: 'alice',
      email: 'alice@example.com',
      password: 'gatehouse-password',
    })
    const issued = await tokenService.getOrCreate(native)

    const summary = await drfImportService.run(sqliteFixture())
    assert.deepEqual(summary.users.skippedReasons, {
      'email already belongs to another user': { count: 1, examples: ['admin'] },
    })
    assert.deepEqual(summary.tokens.skippedReasons, {
      'its user was skipped': { count: 1, examples: ['user #8'] },
    })
    assert.equal(summary.tokens.withoutGetOrCreate, 1)

    const signIn = await client
      .post(urls.obtain)
      .json({ username: 'alice', password: 'gatehouse-password' })
    signIn.assertStatus(200)
    assert.equal(signIn.body().token, issued.value)
    const djangoPassword = await client
      .post(urls.obtain)
      .json({ username: 'alice', password: alice.password })
    djangoPassword.assertStatus(400)

    const drfKey = await client
      .get(urls.protected())
      .header('Authorization', `Token ${alice.token}`)
    drfKey.assertStatus(200)
    const adminKey = await client
      .get(urls.protected())
      .header('Authorization', `Token ${admin.token}`)
    adminKey.assertStatus(401)
  })
})

test.group('drf:import | PostgreSQL source', (group) => {
  let source: Awaited<ReturnType<typeof loadPgFixture>>
  group.setup(async () => {
    source = await loadPgFixture()
    return () => source.drop()
  })
  isolateEachTest(group)

  test('every manifest password and token behaves as in Django', async ({ client, assert }) => {
    const users = await manifest('manifest.pg.json')
    const summary = await drfImportService.run(source.url)
    assert.equal(summary.users.imported, users.length)
    assert.equal(summary.tokens.imported, users.filter((user) => user.token).length)
    assert.notInclude(summary.source, 'password')

    await assertBehavesAsManifest(client, assert, users)

    const again = await drfImportService.run(source.url)
    assert.equal(again.users.imported + again.tokens.imported + again.tokens.revoked, 0)
  })

  test('the source is only read', async ({ assert }) => {
    const checksum = async () => {
      const client = new pg.Client(source.url)
      await client.connect()
      try {
        const { rows } = await client.query(
          `SELECT (SELECT md5(string_agg(u::text, ',' ORDER BY id)) FROM auth_user u) AS users,
                  (SELECT md5(string_agg(t::text, ',' ORDER BY key)) FROM authtoken_token t) AS tokens`
        )
        return rows[0]
      } finally {
        await client.end()
      }
    }
    const before = await checksum()
    await drfImportService.run(source.url)
    assert.deepEqual(await checksum(), before)
  })

  test('the source stays read-only whatever the URL says', async ({ assert }) => {
    const url = new URL(source.url)
    url.searchParams.set('options', '-c default_transaction_read_only=off')
    const name = await drfImportService.open(url.toString())
    try {
      await assert.rejects(
        () => db.connection(name).rawQuery('CREATE TABLE gatehouse_write_probe (id int)'),
        /read-only transaction/
      )
      const summary = await drfImportService.run(url.toString())
      const users = await manifest('manifest.pg.json')
      assert.equal(summary.users.imported, users.length)
    } finally {
      await db.manager.close(name, true)
    }
  })
})
