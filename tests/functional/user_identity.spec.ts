import { test } from '@japa/runner'
import { createHash } from 'node:crypto'
import { copyFileSync, mkdirSync, rmSync } from 'node:fs'
import app from '@adonisjs/core/services/app'
import db from '@adonisjs/lucid/services/db'
import hash from '@adonisjs/core/services/hash'
import User from '#models/user'
import authService from '#services/auth_service'
import drfImportService from '#services/drf_import_service'
import userService, { UserInputError } from '#services/user_service'
import { truncateAll, isolateEachTest } from '#tests/helpers/database'
import { sqliteFixture } from '#tests/helpers/drf_fixtures'
import { PASSWORD, makeUser } from '#tests/helpers/factories'

/** Counts scrypt operations (make + verify) during `fn`. */
async function countScrypt(fn: () => Promise<unknown>) {
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

/** A user whose stored hash is what drf:import copied from Django. */
async function importedUser(username: string, storedHash: string) {
  const user = await makeUser({ username })
  await db.from('users').where('id', user.id).update({ password: storedHash })
}

test.group('Usernames and emails never collide', (group) => {
  isolateEachTest(group)

  test('a username equal to another user’s email is refused, whatever its case', async ({
    assert,
  }) => {
    await userService.create({ username: 'bob', email: 'bob@example.com', password: PASSWORD })
    for (const username of ['bob@example.com', 'Bob@Example.COM']) {
      await assert.rejects(
        () => userService.create({ username, password: PASSWORD }),
        'That username is the email address of another user.'
      )
    }
    assert.lengthOf(await User.all(), 1)
  })

  test('an email equal to another user’s username is refused, whatever its case', async ({
    assert,
  }) => {
    await userService.create({ username: 'Carol@example.com', password: PASSWORD })
    const error = await userService
      .create({ username: 'carol2', email: 'carol@EXAMPLE.com', password: PASSWORD })
      .catch((caught) => caught)
    assert.instanceOf(error, UserInputError)
    assert.equal(error.message, 'That email address is the username of another user.')
    assert.lengthOf(await User.all(), 1)
  })

  test('usernames follow Django’s rule in NFKC form: no escapes, no full-width letters', async ({
    assert,
  }) => {
    for (const username of ['\u001b[31mevil', 'ａｄｍｉｎ', 'zoe\u0308', 'a b', 'x'.repeat(151)]) {
      await assert.rejects(
        () => userService.create({ username, password: PASSWORD }),
        'Username must be 1-150 characters: letters, digits and @ . + - _ only.'
      )
    }
    const zoe = await userService.create({ username: 'zoë', password: PASSWORD })
    assert.equal(zoe.username, 'zoë')
  })

  test('changing a username or an email follows the same rules', async ({ assert }) => {
    await userService.create({ username: 'bob', email: 'bob@example.com', password: PASSWORD })
    const eve = await userService.create({ username: 'eve', password: PASSWORD })
    await assert.rejects(
      () => userService.update(eve, { username: 'BOB@example.com' }),
      'That username is the email address of another user.'
    )
    await assert.rejects(
      () => userService.update(eve, { email: 'Bob' }),
      'That email address is the username of another user.'
    )
    await assert.rejects(
      () => userService.update(eve, { username: 'e\u001bve' }),
      'Username must be 1-150 characters: letters, digits and @ . + - _ only.'
    )
    await eve.refresh()
    assert.deepEqual([eve.username, eve.email], ['eve', null])
    await userService.update(eve, { username: 'eve@example.com', email: 'Eve@Example.com' })
    await eve.refresh()
    assert.deepEqual([eve.username, eve.email], ['eve@example.com', 'eve@example.com'])
  })

  test('a user may use their own email as username', async ({ assert }) => {
    const user = await userService.create({
      username: 'dan@example.com',
      email: 'dan@example.com',
      password: PASSWORD,
    })
    assert.equal(user.username, 'dan@example.com')
  })

  test('sign-in resolves an exact username before an email', async ({ assert }) => {
    // Rows from before the rule: bob's email is also the username of another account.
    await makeUser({ username: 'bob', email: 'bob@example.com' })
    const squatter = await makeUser({ username: 'bob@example.com', email: null })
    const found = await authService.attempt('bob@example.com', PASSWORD)
    assert.equal(found?.id, squatter.id)
    const byEmail = await authService.attempt('BOB@example.com', PASSWORD)
    assert.equal(byEmail?.username, 'bob')
  })
})

test.group('Failed sign-ins always cost a Gatehouse hash', (group) => {
  isolateEachTest(group)

  test('an inactive user with a cheap hash and the right password', async ({ assert }) => {
    const salt = 'saltsalt'
    const md5 = createHash('md5').update(`${salt}${PASSWORD}`).digest('hex')
    await importedUser('sleepy', `md5$${salt}$${md5}`)
    await db.from('users').where('username', 'sleepy').update({ is_active: false })
    let result: unknown = 'not run'
    const count = await countScrypt(async () => {
      result = await authService.attempt('sleepy', PASSWORD)
    })
    assert.isNull(result)
    assert.isAtLeast(count, 1)
  })

  test('{name}: at least one scrypt hash on a failed sign-in')
    .with([
      { name: 'cheap Django md5 hash', stored: 'md5$salt$0123456789abcdef0123456789abcdef' },
      { name: 'unusable Django password', stored: '!unusable' },
      { name: 'unknown hash format', stored: 'not-a-hash' },
    ])
    .run(async ({ assert }, { stored }) => {
      await importedUser('imported', stored)
      let result: unknown = 'not run'
      const count = await countScrypt(async () => {
        result = await authService.attempt('imported', 'wrong password')
      })
      assert.isNull(result)
      assert.isAtLeast(count, 1)
    })
})

/** 25 million PBKDF2 rounds: seconds of CPU for one wrong password. */
const COSTLY = 'pbkdf2_sha256$25000000$s4ltS4ltS4lt$6Y7z2KKC+0p1TjObVqhjg2LdYZ+dxrOkZiTCARTfzqk='

test.group('drf:import checks what it copies', (group) => {
  const file = () => app.tmpPath('drf-identity.sqlite3')
  group.setup(async () => {
    await truncateAll()
    mkdirSync(app.tmpPath(), { recursive: true })
    copyFileSync(sqliteFixture(), file())
    db.manager.add('drf_identity', { client: 'better-sqlite3', connection: { filename: file() } })
    const row = (id: number, username: string, email: string) => ({
      id,
      username,
      email,
      password: '!',
      last_login: null,
      is_superuser: 0,
      is_staff: 0,
      is_active: 1,
      first_name: '',
      last_name: '',
      date_joined: '2026-01-01 00:00:00',
    })
    await db
      .connection('drf_identity')
      .table('auth_user')
      .multiInsert([
        row(101, 'alice@example.com', ''),
        row(102, 'grace', 'Henry@Example.com'),
        row(103, '\u001b[31mevil', ''),
        row(104, 'ａｄｍｉｎ', ''),
        row(105, 'ok.user', 'ok@example.com'),
        row(106, 'same@example.com', 'same@example.com'),
        row(107, ' padded', ''),
        { ...row(108, 'costly', 'costly@example.com'), password: COSTLY },
      ])
    await db.manager.close('drf_identity', true)
    return () => rmSync(file(), { force: true })
  })
  isolateEachTest(group)

  test('rows that break them are skipped with the reason', async ({ assert }) => {
    await userService.create({ username: 'henry@example.com', password: PASSWORD })
    const summary = await drfImportService.run(file())

    assert.deepEqual(summary.users.skippedReasons, {
      'username is the email of another user': { count: 1, examples: ['alice@example.com'] },
      'email is the username of another user': { count: 1, examples: ['grace'] },
      'username breaks the rules of user:create (1-150 letters, digits and @ . + - _, in Unicode normal form NFKC)':
        { count: 3, examples: ['#103', '#104', '#107'] },
    })
    const all = await User.all()
    const names = all.map((user) => user.username)
    assert.includeMembers(names, ['alice', 'zoë', 'ok.user', 'same@example.com'])
    assert.notIncludeMembers(names, ['alice@example.com', 'grace', 'ａｄｍｉｎ'])
  })

  test('a hash above the cost ceiling is imported unusable and flagged', async ({
    client,
    assert,
  }) => {
    const summary = await drfImportService.run(file())
    assert.deepEqual(summary.mustResetPassword, { count: 1, examples: ['costly'] })
    const costly = await User.findByOrFail('username', 'costly')
    assert.match(costly.password, /^!/)

    const signIn = await client.post('/api-token-auth/').json({ username: 'costly', password: 'x' })
    signIn.assertStatus(400)
    // A re-run keeps it unusable and says so again.
    const again = await drfImportService.run(file())
    assert.equal(again.mustResetPassword.count, 1)
    assert.equal(again.users.updated, 0)
  })
})
