import { test } from '@japa/runner'
import { DateTime } from 'luxon'
import gatehouse from '#config/gatehouse'
import AccessToken from '#models/access_token'
import tokenService from '#services/token_service'
import userService from '#services/user_service'
import { isolateEachTest } from '#tests/helpers/database'
import { insertTokens } from '#tests/helpers/factories'
import { assertError, output, runCommand } from '#tests/helpers/commands'

test.group('token:create at tokens.maxPerUser', (group) => {
  isolateEachTest(group)

  test('a new token beyond the limit: exit 1 with a message, nothing created', async ({
    assert,
  }) => {
    const max = gatehouse.tokens.maxPerUser
    const user = await userService.create({ username: 'alice', password: 'correct horse battery' })
    await insertTokens(user, max)

    const command = await runCommand('token:create', ['alice', '--name=one-more'])
    assertError(
      command,
      `User "alice" already has ${max} live tokens, the most one user may hold: revoke one (node ace token:revoke) or let some expire.`
    )
    assert.lengthOf(output(command), 0)
    assert.isNull(await AccessToken.findBy('name', 'one-more'))
  })

  test('an existing live token is still printed, -r replaces it, expired ones do not count', async ({
    assert,
  }) => {
    const max = gatehouse.tokens.maxPerUser
    const user = await userService.create({ username: 'alice', password: 'correct horse battery' })
    const existing = await tokenService.getOrCreate(user)
    await insertTokens(user, max - 1)
    await insertTokens(user, 5, DateTime.now().minus({ hours: 1 }))

    const again = await runCommand('token:create', ['alice', '--quiet'])
    again.assertSucceeded()
    assert.deepEqual(output(again), [existing.value])

    const regenerated = await runCommand('token:create', ['alice', '-r', '--quiet'])
    regenerated.assertSucceeded()
    assert.notEqual(output(regenerated)[0], existing.value)
  })
})
