import { test } from '@japa/runner'
import User from '#models/user'
import AccessToken from '#models/access_token'
import { revive } from '#services/token_authenticator'
import { isolateEachTest } from '#tests/helpers/database'
import { makeToken, makeUser } from '#tests/helpers/factories'

/**
 * revive() builds the cached user and token models without Lucid's
 * hydration: they must be the same as models Lucid loaded itself.
 */
test.group('Token cache: models revived from cached attributes', (group) => {
  isolateEachTest(group)

  test('a revived user is a persisted User, as Lucid loads it', async ({ assert }) => {
    const saved = await makeUser({ username: 'alice' })
    const loaded = await User.findOrFail(saved.id)
    const user = revive(User, { ...loaded.$attributes })

    assert.isTrue(user.$isPersisted)
    assert.isFalse(user.$isLocal)
    assert.isFalse(user.$isDirty)
    assert.strictEqual(user.constructor, User)
    assert.instanceOf(user, User)
    assert.strictEqual(Object.getPrototypeOf(Object.getPrototypeOf(user)), User.prototype)
    assert.equal(user.username, 'alice')
    assert.deepEqual(user.serialize(), loaded.serialize())
    // The next one is built the same way (the getter is on a prototype shared by all revivals).
    assert.isTrue(revive(User, { ...loaded.$attributes }).$isPersisted)
  })

  test('marked as loaded once: what Lucid sets later stays set', async ({ assert }) => {
    const saved = await makeUser({ username: 'carol' })
    const loaded = await User.findOrFail(saved.id)
    const user = revive(User, { ...loaded.$attributes })

    await user.delete()
    assert.isTrue(user.$isDeleted)
    // Every property read goes through Lucid's proxy, which reads `constructor` each time.
    user.$isPersisted = false
    assert.equal(user.username, 'carol')
    assert.isFalse(user.$isPersisted)
    assert.isNull(await User.find(saved.id))
  })

  test('saving a revived user updates its row; nothing is inserted', async ({ assert }) => {
    const saved = await makeUser({ username: 'bob', email: 'bob@example.test' })
    const loaded = await User.findOrFail(saved.id)
    const user = revive(User, { ...loaded.$attributes })

    user.email = 'robert@example.test'
    assert.deepEqual(user.$dirty, { email: 'robert@example.test' })
    await user.save()

    const rows = await User.query().where('username', 'bob')
    assert.lengthOf(rows, 1)
    assert.equal(rows[0].email, 'robert@example.test')
    assert.lengthOf(await User.all(), 1)
  })

  test('a revived token is persisted too and its abilities are its own copy', async ({
    assert,
  }) => {
    const { token } = await makeToken(undefined, ['tokens:read'])
    const loaded = await AccessToken.findOrFail(token.id)
    const attributes = { ...loaded.$attributes }
    const revived = revive(AccessToken, attributes, ['abilities'])

    assert.isTrue(revived.$isPersisted)
    assert.isFalse(revived.$isLocal)
    assert.instanceOf(revived, AccessToken)
    assert.strictEqual(revived.constructor, AccessToken)
    revived.abilities.push('tokens:write')
    assert.deepEqual(attributes.abilities, ['tokens:read'])
  })

  test('extras and attributes are filled on the model itself: seen through its proxy', async ({
    assert,
  }) => {
    const saved = await makeUser({ username: 'dora' })
    const loaded = await User.findOrFail(saved.id)
    const { token } = await makeToken(saved)
    let built = 0
    const extras = User.accessTokenExtras(() => {
      built++
      return token
    })
    const user = revive(User, { ...loaded.$attributes }, [], extras)

    assert.equal(user.username, 'dora')
    assert.deepEqual(user.$attributes, { ...loaded.$attributes })
    assert.deepEqual(user.$original, user.$attributes)
    assert.notStrictEqual(user.$original, user.$attributes)
    assert.isFalse(user.$isDirty)
    assert.equal(built, 0)
    assert.strictEqual(user.currentAccessToken, token)
    assert.strictEqual(user.currentAccessToken, token)
    assert.equal(built, 1)
    // Another revival does not see this one's extras.
    assert.isUndefined(revive(User, { ...loaded.$attributes }).currentAccessToken)
  })
})
