import { Readable } from 'node:stream'
import { test } from '@japa/runner'
import hash from '@adonisjs/core/services/hash'
import AccessToken from '#models/access_token'
import User from '#models/user'
import UserSession from '#models/user_session'
import tokenService from '#services/token_service'
import userService from '#services/user_service'
import userSessionService from '#services/user_session_service'
import { isolateEachTest } from '#tests/helpers/database'
import { assertError, makeCommand } from '#tests/helpers/commands'

const PASSWORD = 'correct horse battery'
const NEW_PASSWORD = 'a brand new passphrase'

function pipe(content: string) {
  return Object.assign(Readable.from([Buffer.from(content)]), { isTTY: false })
}
function terminal() {
  return Object.assign(Readable.from([]), { isTTY: true })
}

async function userPassword(argv: string[], stdin: Readable & { isTTY?: boolean }) {
  const command = await makeCommand('user:password', argv)
  Object.assign(command, { stdin })
  return command
}

async function passwordIs(username: string, password: string) {
  const user = await User.findByOrFail('username', username)
  return hash.verify(user.password, password)
}

test.group('user:password', (group) => {
  isolateEachTest(group)

  let alice: User
  group.each.setup(async () => {
    alice = await userService.create({ username: 'alice', password: PASSWORD })
  })

  test('asks twice with hidden prompts, sets the password, ends browser sessions', async ({
    assert,
  }) => {
    await userSessionService.start(alice)
    await userSessionService.start(alice)
    await tokenService.create(alice, { name: 'ci' })
    const command = await userPassword(['alice'], terminal())
    command.prompt.trap('New password').replyWith(NEW_PASSWORD)
    command.prompt.trap('New password (again)').replyWith(NEW_PASSWORD)
    await command.exec()

    command.assertSucceeded()
    command.assertLog(
      '[ green(success) ] User "alice" has a new password; 2 browser sessions ended.',
      'stdout'
    )
    assert.isTrue(await passwordIs('alice', NEW_PASSWORD))
    assert.lengthOf(await UserSession.all(), 0)
    assert.lengthOf(await AccessToken.all(), 1, 'tokens stay without --revoke-tokens')
    assert.notInclude(JSON.stringify(command.logger.getLogs()), NEW_PASSWORD)
  })

  test('--password-stdin reads it from stdin (one trailing newline dropped)', async ({
    assert,
  }) => {
    const command = await userPassword(['alice', '--password-stdin'], pipe(`${NEW_PASSWORD}\n`))
    await command.exec()
    command.assertSucceeded()
    assert.isTrue(await passwordIs('alice', NEW_PASSWORD))
  })

  test('--revoke-tokens also revokes every token of the user (only theirs)', async ({ assert }) => {
    const bob = await userService.create({ username: 'bob', password: PASSWORD })
    await tokenService.create(alice, { name: 'ci' })
    await tokenService.getOrCreate(alice)
    await tokenService.create(bob, { name: 'bobs' })
    const command = await userPassword(
      ['alice', '--password-stdin', '--revoke-tokens'],
      pipe(NEW_PASSWORD)
    )
    await command.exec()

    command.assertSucceeded()
    command.assertLog(
      '[ green(success) ] User "alice" has a new password; 0 browser sessions ended, 2 tokens revoked.',
      'stdout'
    )
    assert.lengthOf(await AccessToken.query().where('tokenable_id', alice.id), 0)
    assert.lengthOf(await AccessToken.query().where('tokenable_id', bob.id), 1)
  })

  test('--temporary: the user must change it at the next sign-in', async ({ assert }) => {
    const command = await userPassword(
      ['alice', '--password-stdin', '--temporary'],
      pipe(NEW_PASSWORD)
    )
    await command.exec()

    command.assertSucceeded()
    command.assertLog(
      '[ green(success) ] User "alice" has a temporary password (to change at next sign-in); 0 browser sessions ended.',
      'stdout'
    )
    const user = await User.findByOrFail('username', 'alice')
    assert.isTrue(user.passwordMustChange)
  })

  test('a normal change clears an earlier --temporary flag', async ({ assert }) => {
    await userService.setTemporaryPassword(alice, 'temporary pass 1')
    const command = await userPassword(['alice', '--password-stdin'], pipe(NEW_PASSWORD))
    await command.exec()
    command.assertSucceeded()
    const user = await User.findByOrFail('username', 'alice')
    assert.isFalse(user.passwordMustChange)
  })

  test('{title}: exit 1 with a clear message, nothing changes')
    .with([
      {
        title: 'unknown user',
        argv: ['nobody', '--password-stdin'],
        stdin: () => pipe(NEW_PASSWORD),
        message: 'No user named "nobody".',
      },
      {
        title: 'too short',
        argv: ['alice', '--password-stdin'],
        stdin: () => pipe('short'),
        message: 'Password must be at least 8 characters long.',
      },
      {
        title: 'too long',
        argv: ['alice', '--password-stdin'],
        stdin: () => pipe('x'.repeat(257)),
        message: 'Password must be at most 256 characters long.',
      },
      {
        title: 'empty stdin',
        argv: ['alice', '--password-stdin'],
        stdin: () => pipe(''),
        message: '--password-stdin was given but stdin was empty.',
      },
      {
        title: 'oversized stdin',
        argv: ['alice', '--password-stdin'],
        stdin: () => pipe('x'.repeat(70 * 1024)),
        message: 'The password on stdin is longer than 65536 bytes.',
      },
      {
        title: 'no terminal and no --password-stdin',
        argv: ['alice'],
        stdin: () => pipe(NEW_PASSWORD),
        message: 'No password given: run in a terminal, or use --password-stdin.',
      },
    ])
    .run(async ({ assert }, { argv, stdin, message }) => {
      await userSessionService.start(alice)
      await tokenService.create(alice, { name: 'ci' })
      const command = await userPassword([...argv, '--revoke-tokens'], stdin())
      await command.exec()

      assertError(command, message)
      assert.isTrue(await passwordIs('alice', PASSWORD))
      assert.lengthOf(await UserSession.all(), 1)
      assert.lengthOf(await AccessToken.all(), 1)
    })

  test('two different passwords on the terminal: exit 1, nothing changes', async ({ assert }) => {
    await userSessionService.start(alice)
    const command = await userPassword(['alice'], terminal())
    command.prompt.trap('New password').replyWith(NEW_PASSWORD)
    command.prompt.trap('New password (again)').replyWith(`${NEW_PASSWORD}!`)
    await command.exec()

    assertError(command, 'The passwords do not match.')
    assert.isTrue(await passwordIs('alice', PASSWORD))
    assert.lengthOf(await UserSession.all(), 1)
  })
})

test.group('user:deactivate ends browser sessions', (group) => {
  isolateEachTest(group)

  test('every session of the user is deleted', async ({ assert }) => {
    const alice = await userService.create({ username: 'alice', password: PASSWORD })
    const bob = await userService.create({ username: 'bob', password: PASSWORD })
    await userSessionService.start(alice)
    await userSessionService.start(bob)
    const command = await makeCommand('user:deactivate', ['alice'])
    await command.exec()
    command.assertSucceeded()
    assert.lengthOf(await UserSession.query().where('user_id', alice.id), 0)
    assert.lengthOf(await UserSession.query().where('user_id', bob.id), 1)
  })
})
