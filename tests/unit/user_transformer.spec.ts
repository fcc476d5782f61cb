import { test } from '@japa/runner'
import { DateTime } from 'luxon'
import User from '#models/user'
import { serializeUser, userJson } from '#transformers/user_transformer'
import { revive } from '#services/token_authenticator'
import { isolateEachTest } from '#tests/helpers/database'
import { makeUser } from '#tests/helpers/factories'

test.group('User transformer (the API shape of a user)', (group) => {
  isolateEachTest(group)

  test('is what the model serializes to, field for field, hidden columns left out', async ({
    assert,
  }) => {
    const user = await makeUser({ username: 'alice', email: 'alice@example.test' })
    user.lastLoginAt = DateTime.fromISO('2026-11-30T10:11:12.345Z')
    user.isStaff = true
    user.passwordMustChange = true
    await user.save()
    const loaded = await User.findOrFail(user.id)

    assert.deepEqual(serializeUser(loaded), loaded.serialize() as any)
    assert.deepEqual(Object.keys(serializeUser(loaded)), [
      'id',
      'username',
      'email',
      'isActive',
      'isStaff',
      'isSuperuser',
      'lastLoginAt',
      'createdAt',
      'updatedAt',
      'passwordMustChange',
    ])
    assert.notProperty(serializeUser(loaded), 'password')
    assert.notProperty(serializeUser(loaded), 'isActiveSetHere')
  })

  test('a user who never signed in, without an email', async ({ assert }) => {
    const user = await makeUser({ username: 'bob', email: null })
    const loaded = await User.findOrFail(user.id)
    assert.deepEqual(serializeUser(loaded), loaded.serialize() as any)
    assert.isNull(serializeUser(loaded).lastLoginAt)
    assert.isNull(serializeUser(loaded).email)
  })

  test('a date changed on the model is answered as it is now, not as first formatted', async ({
    assert,
  }) => {
    const user = await makeUser({ username: 'carol' })
    user.lastLoginAt = DateTime.fromISO('2026-11-30T10:00:00.000Z')
    const first = serializeUser(user).lastLoginAt
    assert.equal(serializeUser(user).lastLoginAt, first)

    user.lastLoginAt = user.lastLoginAt.plus({ minutes: 5 })
    assert.equal(serializeUser(user).lastLoginAt, user.lastLoginAt.toISO())
    assert.notEqual(serializeUser(user).lastLoginAt, first)
  })

  test('userJson: the JSON of serializeUser, the same text again for the same cached user', async ({
    assert,
  }) => {
    const saved = await makeUser({ username: 'dave', email: 'dave@example.test' })
    const loaded = await User.findOrFail(saved.id)
    // As the token cache answers: models revived from one entry share its parsed dates.
    const cached = { ...loaded.$attributes }
    delete cached.password
    const first = revive(User, cached)
    const second = revive(User, cached)

    const json = userJson(first)
    assert.deepEqual(JSON.parse(json), serializeUser(loaded))
    assert.equal(json, JSON.stringify(serializeUser(first)))
    assert.strictEqual(userJson(second), json)
  })

  test('userJson: any attribute changed since it was written is written afresh', async ({
    assert,
  }) => {
    const saved = await makeUser({ username: 'erin', email: 'erin@example.test' })
    const loaded = await User.findOrFail(saved.id)
    const cached = { ...loaded.$attributes }
    delete cached.password
    const before = userJson(revive(User, cached))

    const changes: Array<[string, (user: User) => void]> = [
      ['username', (user) => (user.username = 'erin2')],
      ['email', (user) => (user.email = null)],
      ['isActive', (user) => (user.isActive = false)],
      ['isStaff', (user) => (user.isStaff = true)],
      ['isSuperuser', (user) => (user.isSuperuser = true)],
      ['lastLoginAt', (user) => (user.lastLoginAt = DateTime.fromISO('2026-12-01T10:00:00Z'))],
      ['updatedAt', (user) => (user.updatedAt = DateTime.fromISO('2026-12-01T11:00:00Z'))],
      ['passwordMustChange', (user) => (user.passwordMustChange = true)],
      ['id', (user) => (user.id = user.id + 1000)],
    ]
    for (const [name, change] of changes) {
      const user = revive(User, cached)
      change(user)
      const json = userJson(user)
      assert.notEqual(json, before, name)
      assert.deepEqual(JSON.parse(json), serializeUser(user), name)
      // And the unchanged model again: its own JSON, not the changed one's.
      assert.equal(userJson(revive(User, cached)), before, name)
    }
    assert.notProperty(JSON.parse(userJson(loaded)), 'password')
    assert.notInclude(userJson(loaded), loaded.password)
  })
})
