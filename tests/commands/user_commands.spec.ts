import { Readable } from 'node:stream'
import { test } from '@japa/runner'
import hash from '@adonisjs/core/services/hash'
import { Secret } from '@adonisjs/core/helpers'
import gatehouse from '#config/gatehouse'
import User from '#models/user'
import userService from '#services/user_service'
import { isolateEachTest } from '#tests/helpers/database'
import { assertError, makeCommand, output, runCommand } from '#tests/helpers/commands'

const PASSWORD = 'correct horse battery'

/** stdin as the command sees it: a pipe with content, or a terminal. */
function pipe(content: string) {
  return Object.assign(Readable.from([Buffer.from(content)]), { isTTY: false })
}
function terminal() {
  return Object.assign(Readable.from([]), { isTTY: true })
}

async function userCreate(argv: string[], stdin: Readable & { isTTY?: boolean }) {
  const command = await makeCommand('user:create', argv)
  Object.assign(command, { stdin })
  return command
}

async function userCount() {
  const users = await User.all()
  return users.length
}

function createUser(username: string, extra: { isActive?: boolean } = {}) {
  return userService.create({ username, password: PASSWORD, ...extra })
}

test.group('user:create', (group) => {
  isolateEachTest(group)

  test('asks for the password twice with hidden prompts on a terminal', async ({ assert }) => {
    const command = await userCreate(['alice', '--email=Alice@Example.com'], terminal())
    command.prompt.trap('Password').replyWith(PASSWORD)
    command.prompt.trap('Password (again)').replyWith(PASSWORD)
    await command.exec()

    command.assertSucceeded()
    const user = await User.findByOrFail('username', 'alice')
    command.assertLog(`[ green(success) ] Created user "alice" with id ${user.id}.`, 'stdout')
    assert.equal(user.email, 'alice@example.com')
    assert.isTrue(user.isActive)
    assert.isFalse(user.isStaff)
    assert.isFalse(user.isSuperuser)
    assert.isTrue(await hash.verify(user.password, PASSWORD))
    assert.notInclude(JSON.stringify(command.logger.getLogs()), PASSWORD)
  })

  test('refuses two different passwords and creates nothing', async ({ assert }) => {
    const command = await userCreate(['alice'], terminal())
    command.prompt.trap('Password').replyWith(PASSWORD)
    command.prompt.trap('Password (again)').replyWith(`${PASSWORD}!`)
    await command.exec()

    assertError(command, 'The passwords do not match.')
    assert.isNull(await User.findBy('username', 'alice'))
  })

  test('reads the password from stdin with --password-stdin, dropping one newline', async ({
    assert,
  }) => {
    const command = await userCreate(['bob', '--password-stdin'], pipe(`${PASSWORD}\n`))
    await command.exec()

    command.assertSucceeded()
    const user = await User.findByOrFail('username', 'bob')
    assert.isTrue(await hash.verify(user.password, PASSWORD))
  })

  test('uses GATEHOUSE_USER_PASSWORD (through config) when no stdin is given', async ({
    assert,
  }) => {
    const previous = gatehouse.commands.userPassword
    gatehouse.commands.userPassword = new Secret(PASSWORD)
    try {
      const command = await userCreate(['carol', '--superuser', '--inactive'], pipe(''))
      await command.exec()
      command.assertSucceeded()
      command.assertLogMatches(
        /^\[ green\(success\) \] Created superuser "carol" with id \d+ \(inactive\)\.$/
      )
    } finally {
      gatehouse.commands.userPassword = previous
    }

    const user = await User.findByOrFail('username', 'carol')
    assert.isTrue(await hash.verify(user.password, PASSWORD))
    assert.isFalse(user.isActive)
    assert.isTrue(user.isStaff, '--superuser implies staff, as in Django')
    assert.isTrue(user.isSuperuser)
  })

  test('--staff makes a staff user who is not a superuser', async ({ assert }) => {
    const command = await userCreate(['dave', '--staff', '--password-stdin'], pipe(PASSWORD))
    await command.exec()

    command.assertSucceeded()
    const user = await User.findByOrFail('username', 'dave')
    assert.isTrue(user.isStaff)
    assert.isFalse(user.isSuperuser)
  })

  test('without a terminal, stdin or environment password it says how to give one', async ({
    assert,
  }) => {
    const command = await userCreate(['erin'], pipe(PASSWORD))
    await command.exec()

    assertError(
      command,
      'No password given: run in a terminal, or use --password-stdin or GATEHOUSE_USER_PASSWORD.'
    )
    assert.isNull(await User.findBy('username', 'erin'))
  })

  test('a username that exists already is refused before any password is asked', async ({
    assert,
  }) => {
    const existing = await createUser('alice')
    const command = await userCreate(['alice'], terminal())
    await command.exec()

    assertError(command, 'A user named "alice" already exists.')
    assert.equal(await userCount(), 1)
    await existing.refresh()
    assert.isTrue(await hash.verify(existing.password, PASSWORD))
  })

  test('refuses {name}')
    .with([
      {
        name: 'an invalid username',
        argv: ['no spaces please', '--password-stdin'],
        stdin: PASSWORD,
        message: 'Username must be 1-150 characters: letters, digits and @ . + - _ only.',
      },
      {
        name: 'a short password',
        argv: ['frank', '--password-stdin'],
        stdin: 'short',
        message: 'Password must be at least 8 characters long.',
      },
      {
        name: 'an invalid email',
        argv: ['frank', '--email=not-an-email', '--password-stdin'],
        stdin: PASSWORD,
        message: '--email must be a valid email address.',
      },
      {
        name: 'an email that is taken',
        argv: ['frank', '--email=TAKEN@example.com', '--password-stdin'],
        stdin: PASSWORD,
        message: 'A user with the email "taken@example.com" already exists.',
      },
      {
        name: 'an empty stdin',
        argv: ['frank', '--password-stdin'],
        stdin: '\n',
        message: '--password-stdin was given but stdin was empty.',
      },
    ])
    .run(async ({ assert }, { argv, stdin, message }) => {
      await createUser('taken', {}).then((user) => {
        user.email = 'taken@example.com'
        return user.save()
      })
      const command = await userCreate(argv, pipe(stdin))
      await command.exec()

      assertError(command, message)
      assert.equal(await userCount(), 1)
    })
})

test.group('user:activate and user:deactivate', (group) => {
  isolateEachTest(group)

  test('deactivate then activate flips is_active', async ({ assert }) => {
    const user = await createUser('alice')

    const deactivate = await runCommand('user:deactivate', ['alice'])
    deactivate.assertSucceeded()
    deactivate.assertLog('[ green(success) ] Deactivated user "alice".', 'stdout')
    await user.refresh()
    assert.isFalse(user.isActive)

    const again = await runCommand('user:deactivate', ['alice'])
    again.assertSucceeded()
    again.assertLog('[ blue(info) ] User "alice" is already inactive.')

    const activate = await runCommand('user:activate', ['alice'])
    activate.assertSucceeded()
    activate.assertLog('[ green(success) ] Activated user "alice".', 'stdout')
    await user.refresh()
    assert.isTrue(user.isActive)

    const twice = await runCommand('user:activate', ['alice'])
    twice.assertSucceeded()
    twice.assertLog('[ blue(info) ] User "alice" is already active.')
  })

  test('{$self} of an unknown user is an error')
    .with(['user:activate', 'user:deactivate'])
    .run(async ({ assert }, name) => {
      await createUser('alice')
      const command = await runCommand(name, ['nobody'])

      assertError(command, 'No user named "nobody".')
      const alice = await User.findByOrFail('username', 'alice')
      assert.isTrue(alice.isActive)
    })
})

test.group('user:list', (group) => {
  isolateEachTest(group)

  test('prints a table of users', async () => {
    await createUser('alice')
    await createUser('bob', { isActive: false })
    const command = await runCommand('user:list')

    command.assertSucceeded()
    command.assertLogMatches(/^ID\|Username\|Email\|Active\|Staff\|Superuser\|Last login\|Created$/)
    command.assertLogMatches(/^\d+\|alice\|-\|yes\|no\|no\|-\|\d{4}-\d\d-\d\dT[\d:]+Z$/)
    command.assertLogMatches(/^\d+\|bob\|-\|no\|no\|no\|-\|/)
  })

  test('--json prints the users without passwords', async ({ assert }) => {
    const alice = await createUser('alice')
    const command = await runCommand('user:list', ['--json'])

    command.assertSucceeded()
    const lines = output(command)
    assert.lengthOf(lines, 1)
    const users = JSON.parse(lines[0])
    assert.deepEqual(users, [
      {
        id: alice.id,
        username: 'alice',
        email: null,
        isActive: true,
        isStaff: false,
        isSuperuser: false,
        lastLoginAt: null,
        createdAt: users[0].createdAt,
      },
    ])
    assert.match(users[0].createdAt, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z$/)
    assert.notInclude(lines[0], alice.password)
  })

  test('says so when there are no users; --json prints []', async ({ assert }) => {
    const table = await runCommand('user:list')
    table.assertSucceeded()
    table.assertLog(
      '[ blue(info) ] No users yet: create one with "node ace user:create <username>".'
    )

    const json = await runCommand('user:list', ['--json'])
    json.assertSucceeded()
    assert.deepEqual(output(json), ['[]'])
  })
})
