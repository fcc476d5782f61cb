import { test } from '@japa/runner'
import { DateTime } from 'luxon'
import User from '#models/user'
import { attributesJson, serializeUser, userJson } from '#transformers/user_transformer'
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

  test('userJson and attributesJson: the JSON of serializeUser, never the password hash', async ({
    assert,
  }) => {
    const saved = await makeUser({ username: 'dave', email: 'dave@example.test' })
    const loaded = await User.findOrFail(saved.id)
    loaded.lastLoginAt = DateTime.fromISO('2026-12-01T10:00:00.000Z')

    const json = userJson(loaded)
    assert.equal(json, JSON.stringify(serializeUser(loaded)))
    assert.deepEqual(JSON.parse(json), loaded.serialize())
    // As the token cache writes it: from the attributes it keeps (no password hash among them).
    const cached = { ...loaded.$attributes }
    delete cached.password
    assert.equal(attributesJson(cached), json)
    assert.equal(attributesJson(loaded.$attributes), json)
    assert.notInclude(json, loaded.password)
    assert.notProperty(JSON.parse(json), 'password')
  })
})
