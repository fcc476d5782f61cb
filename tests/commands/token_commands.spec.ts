import { test } from '@japa/runner'
import { urlFor } from '@adonisjs/core/services/url_builder'
import { DateTime } from 'luxon'
import db from '@adonisjs/lucid/services/db'
import AccessToken from '#models/access_token'
import tokenService from '#services/token_service'
import userService from '#services/user_service'
import { isolateEachTest } from '#tests/helpers/database'
import { assertError, output, runCommand } from '#tests/helpers/commands'

const KEY = /^gth_[0-9A-Za-z]{46}$/
const GENERATED = /^Generated token (gth_[0-9A-Za-z]{46}) for user (\S+)$/

function createUser(username: string) {
  return userService.create({ username, password: 'correct horse battery' })
}

/** The key from token:create's DRF line (or from --quiet's bare line). */
function printedKey(command: Awaited<ReturnType<typeof runCommand>>) {
  const lines = output(command)
  const line = lines.at(-1) ?? ''
  return line.match(GENERATED)?.[1] ?? line
}

async function tokenCount() {
  const tokens = await AccessToken.all()
  return tokens.length
}

async function tokenIds() {
  const tokens = await AccessToken.query().orderBy('id')
  return tokens.map((token) => token.id)
}

test.group('token:create', (group) => {
  isolateEachTest(group)

  test("prints DRF's line; the key works on GET /api/v1/protected", async ({ assert, client }) => {
    await createUser('alice')
    const command = await runCommand('token:create', ['alice'])

    command.assertSucceeded()
    const [line] = output(command)
    const match = line.match(GENERATED)
    assert.isNotNull(match, `unexpected output line: ${line.replace(/gth_\w+/, 'gth_…')}`)
    assert.equal(match![2], 'alice')

    const response = await client
      .get(urlFor('api.v1.protected'))
      .header('Authorization', `Token ${match![1]}`)
    response.assertStatus(200)
    assert.equal(response.body().user.username, 'alice')
  })

  test('is get-or-create: run twice, it prints the same key', async ({ assert }) => {
    await createUser('alice')
    const first = printedKey(await runCommand('token:create', ['alice']))
    const second = printedKey(await runCommand('token:create', ['alice']))

    assert.match(first, KEY)
    assert.equal(second, first)
    assert.equal(await tokenCount(), 1)
  })

  test("the key matches what the API's get-or-create hands out", async ({ assert }) => {
    const alice = await createUser('alice')
    const key = printedKey(await runCommand('token:create', ['alice', '--quiet']))
    const issued = await tokenService.getOrCreate(alice)
    assert.equal(issued.value, key)
    assert.isFalse(issued.created)
  })

  test('-r revokes the old token: the old key gets 401, the new one works', async ({
    assert,
    client,
  }) => {
    await createUser('alice')
    const old = printedKey(await runCommand('token:create', ['alice']))
    const regenerated = await runCommand('token:create', ['alice', '-r'])
    regenerated.assertSucceeded()
    const fresh = printedKey(regenerated)

    assert.match(fresh, KEY)
    assert.notEqual(fresh, old)
    assert.equal(await tokenCount(), 1)

    const refused = await client
      .get(urlFor('api.v1.protected'))
      .header('Authorization', `Token ${old}`)
    refused.assertStatus(401)
    refused.assertBody({ detail: 'Invalid token.' })
    const accepted = await client
      .get(urlFor('api.v1.protected'))
      .header('Authorization', `Token ${fresh}`)
    accepted.assertStatus(200)

    // --regenerate is the long form; afterwards the new key is the get-or-create one
    const longForm = printedKey(await runCommand('token:create', ['alice', '--regenerate']))
    assert.notEqual(longForm, fresh)
    assert.equal(printedKey(await runCommand('token:create', ['alice'])), longForm)
  })

  test('-r on a user without a token simply creates one', async ({ assert }) => {
    await createUser('alice')
    const command = await runCommand('token:create', ['alice', '-r'])
    command.assertSucceeded()
    assert.match(printedKey(command), KEY)
    assert.equal(await tokenCount(), 1)
  })

  test('--quiet prints the key alone', async ({ assert }) => {
    await createUser('alice')
    const command = await runCommand('token:create', ['alice', '--quiet'])

    command.assertSucceeded()
    const lines = output(command)
    assert.lengthOf(lines, 1)
    assert.match(lines[0], KEY)
    assert.deepEqual(output(command, 'stderr'), [])
  })

  test('--name, --abilities and --expires-in shape a new token', async ({ assert }) => {
    const alice = await createUser('alice')
    const command = await runCommand('token:create', [
      'alice',
      '--name=deploy',
      '--abilities=tokens:read, tokens:write',
      '--expires-in=2h',
    ])
    command.assertSucceeded()

    const token = await AccessToken.findByOrFail('name', 'deploy')
    assert.equal(token.tokenableId, alice.id)
    assert.deepEqual(token.abilities, ['tokens:read', 'tokens:write'])
    const hours = token.expiresAt!.diff(DateTime.now(), 'hours').hours
    assert.isAbove(hours, 1.9)
    assert.isAtMost(hours, 2)

    // another name is another token; the default one is untouched
    await runCommand('token:create', ['alice'])
    assert.equal(await tokenCount(), 2)
  })

  test('--expires-in=never makes a token without expiry', async ({ assert }) => {
    await createUser('alice')
    const command = await runCommand('token:create', ['alice', '--expires-in=never'])
    command.assertSucceeded()
    const token = await AccessToken.firstOrFail()
    assert.isNull(token.expiresAt)
  })

  test('options given for an existing token are not silently applied: a warning says so', async ({
    assert,
  }) => {
    await createUser('alice')
    const first = printedKey(await runCommand('token:create', ['alice']))
    const command = await runCommand('token:create', ['alice', '--abilities=tokens:read'])

    command.assertSucceeded()
    assert.equal(printedKey(command), first)
    command.assertLog(
      '[ yellow(warn) ] Kept the existing "default" token: its abilities and expiry are unchanged (use -r to replace it).',
      'stderr'
    )
    const token = await AccessToken.firstOrFail()
    assert.deepEqual(token.abilities, ['*'])
  })

  test('a token for an inactive user is made, with a warning; the API refuses it', async ({
    client,
  }) => {
    const bob = await createUser('bob')
    await userService.setActive(bob, false)
    const command = await runCommand('token:create', ['bob'])

    command.assertSucceeded()
    command.assertLog(
      '[ yellow(warn) ] User "bob" is inactive: the token is refused until user:activate.',
      'stderr'
    )
    const response = await client
      .get(urlFor('api.v1.protected'))
      .header('Authorization', `Token ${printedKey(command)}`)
    response.assertStatus(401)
    response.assertBody({ detail: 'User inactive or deleted.' })
  })

  test('refuses {name}; nothing is created')
    .with([
      { name: 'an unknown user', argv: ['nobody'], message: 'No user named "nobody".' },
      {
        name: 'a bad --expires-in',
        argv: ['alice', '--expires-in=30 days'],
        message: '--expires-in must be a number and a unit (s, m, h, d, w), e.g. 30d, or "never".',
      },
      {
        name: 'a zero --expires-in',
        argv: ['alice', '--expires-in=0d'],
        message: '--expires-in must be a number and a unit (s, m, h, d, w), e.g. 30d, or "never".',
      },
      {
        name: 'a bad --abilities',
        argv: ['alice', '--abilities=tokens:read,rm -rf'],
        message:
          '--abilities must be a comma-separated list of "*" or words such as tokens:read (letters, digits, ":", ".", "_", "-").',
      },
      {
        name: 'an empty ability',
        argv: ['alice', '--abilities=tokens:read,'],
        message:
          '--abilities must be a comma-separated list of "*" or words such as tokens:read (letters, digits, ":", ".", "_", "-").',
      },
      {
        name: 'a repeated ability',
        argv: ['alice', '--abilities=tokens:read,tokens:read'],
        message: '--abilities must not repeat an ability.',
      },
      { name: 'a blank --name', argv: ['alice', '--name= '], message: '--name must not be blank.' },
    ])
    .run(async ({ assert }, { argv, message }) => {
      await createUser('alice')
      const command = await runCommand('token:create', argv)

      assertError(command, message)
      assert.equal(await tokenCount(), 0)
    })

  test('-r with a bad --expires-in keeps the old token working', async ({ assert, client }) => {
    await createUser('alice')
    const old = printedKey(await runCommand('token:create', ['alice']))
    const command = await runCommand('token:create', ['alice', '-r', '--expires-in=soon'])

    assertError(
      command,
      '--expires-in must be a number and a unit (s, m, h, d, w), e.g. 30d, or "never".'
    )
    const response = await client
      .get(urlFor('api.v1.protected'))
      .header('Authorization', `Token ${old}`)
    response.assertStatus(200)
    assert.equal(await tokenCount(), 1)
  })
})

test.group('token:list', (group) => {
  isolateEachTest(group)

  async function seed() {
    const alice = await createUser('alice')
    const bob = await createUser('bob')
    const aliceKey = await tokenService.getOrCreate(alice)
    const bobKey = await tokenService.create(bob, {
      name: 'ci',
      abilities: ['tokens:read'],
      expiresIn: '1h',
    })
    await db
      .from(AccessToken.table)
      .where('id', bobKey.token.id)
      .update({
        expires_at: DateTime.now()
          .minus({ minutes: 1 })
          .toFormat(db.connection().dialect.dateTimeFormat),
      })
    return { alice, bob, aliceKey, bobKey }
  }

  test('--json lists every token with its status and no secret', async ({ assert }) => {
    const { aliceKey, bobKey } = await seed()
    await db
      .from('auth_access_tokens')
      .where('id', aliceKey.token.id)
      .update({ last_used_at: DateTime.now().toFormat(db.connection().dialect.dateTimeFormat) })
    const command = await runCommand('token:list', ['--json'])

    command.assertSucceeded()
    const [json] = output(command)
    const tokens = JSON.parse(json)
    assert.lengthOf(tokens, 2)
    assert.deepEqual(Object.keys(tokens[0]).sort(), [
      'abilities',
      'createdAt',
      'expiresAt',
      'getOrCreate',
      'hint',
      'id',
      'lastUsedAgent',
      'lastUsedAt',
      'lastUsedIp',
      'name',
      'status',
      'user',
    ])
    assert.containsSubset(tokens, [
      { id: aliceKey.token.id, user: 'alice', name: 'default', abilities: ['*'], status: 'live' },
      {
        id: bobKey.token.id,
        user: 'bob',
        name: 'ci',
        abilities: ['tokens:read'],
        status: 'expired',
      },
    ])
    assert.isString(tokens[0].lastUsedAt)
    assert.isNull(tokens[1].lastUsedAt)
    for (const secret of [aliceKey.value, bobKey.value, aliceKey.token.hash, bobKey.token.hash]) {
      assert.notInclude(json, secret)
    }
    const stored = await AccessToken.findOrFail(aliceKey.token.id)
    assert.notInclude(json, stored.encryptedSecret!)
  })

  test('where a key was last used: the address and user agent of its last request', async ({
    assert,
    client,
  }) => {
    const { aliceKey } = await seed()
    const used = await client
      .get(urlFor('api.v1.protected'))
      .header('Authorization', `Token ${aliceKey.value}`)
      .header('User-Agent', 'gatehouse-test/1.0 (where last used)')
    used.assertStatus(200)

    const command = await runCommand('token:list', ['alice', '--json'])
    command.assertSucceeded()
    const [listed] = JSON.parse(output(command)[0])
    assert.equal(listed.id, aliceKey.token.id)
    assert.match(listed.lastUsedIp, /^(127\.0\.0\.1|::1|::ffff:127\.0\.0\.1)$/)
    assert.include(listed.lastUsedAgent, 'gatehouse-test/1.0')
  })

  test("[username] lists one user's tokens", async ({ assert }) => {
    const { bobKey } = await seed()
    const command = await runCommand('token:list', ['bob', '--json'])

    command.assertSucceeded()
    const tokens = JSON.parse(output(command)[0])
    assert.deepEqual(
      tokens.map((token: { id: number }) => token.id),
      [bobKey.token.id]
    )
  })

  test('prints a table with live and expired tokens', async ({ assert }) => {
    const { aliceKey, bobKey } = await seed()
    const command = await runCommand('token:list')

    command.assertSucceeded()
    command.assertLog('ID|User|Name|Hint|Abilities|Created|Last used|Where|Expires|Status')
    command.assertLogMatches(
      new RegExp(
        `^${aliceKey.token.id}\\|alice\\|default\\|gth_\\w{4}…\\|\\*\\|[\\dT:Z-]+\\|never\\|-\\|[\\dT:Z-]+\\|live$`
      )
    )
    command.assertLogMatches(
      new RegExp(`^${bobKey.token.id}\\|bob\\|ci\\|gth_\\w{4}…\\|tokens:read\\|.*\\|expired$`)
    )
    const all = JSON.stringify(command.logger.getLogs())
    assert.notInclude(all, aliceKey.value)
    assert.notInclude(all, bobKey.value)
  })

  test('says so when there are no tokens', async () => {
    await createUser('alice')
    const everyone = await runCommand('token:list')
    everyone.assertSucceeded()
    everyone.assertLog('[ blue(info) ] No tokens.')

    const one = await runCommand('token:list', ['alice'])
    one.assertSucceeded()
    one.assertLog('[ blue(info) ] User "alice" has no tokens.')
  })

  test('an unknown user is an error', async () => {
    const command = await runCommand('token:list', ['nobody'])
    assertError(command, 'No user named "nobody".')
  })
})

test.group('token:revoke', (group) => {
  isolateEachTest(group)

  test('<id> revokes that token; its key gets 401 at once', async ({ assert, client }) => {
    const alice = await createUser('alice')
    const { token, value } = await tokenService.getOrCreate(alice)
    const other = await tokenService.create(alice, { name: 'other' })

    const command = await runCommand('token:revoke', [String(token.id)])
    command.assertSucceeded()
    command.assertLog(`[ green(success) ] Revoked token ${token.id} ("default") of user "alice".`)

    const response = await client
      .get(urlFor('api.v1.protected'))
      .header('Authorization', `Token ${value}`)
    response.assertStatus(401)
    assert.deepEqual(await tokenIds(), [other.token.id])
  })

  test('<id> --user=<username> revokes only a token of that user', async ({ assert }) => {
    const alice = await createUser('alice')
    await createUser('bob')
    const { token } = await tokenService.create(alice)

    const wrongOwner = await runCommand('token:revoke', [String(token.id), '--user=bob'])
    assertError(wrongOwner, `User "bob" has no token with id ${token.id}.`)
    assert.equal(await tokenCount(), 1)

    const rightOwner = await runCommand('token:revoke', [String(token.id), '--user=alice'])
    rightOwner.assertSucceeded()
    assert.equal(await tokenCount(), 0)
  })

  test('--user=<username> --all revokes every token of that user only', async ({ assert }) => {
    const alice = await createUser('alice')
    const bob = await createUser('bob')
    await tokenService.getOrCreate(alice)
    await tokenService.create(alice, { name: 'ci' })
    const kept = await tokenService.create(bob)

    const command = await runCommand('token:revoke', ['--user=alice', '--all'])
    command.assertSucceeded()
    command.assertLog('[ green(success) ] Revoked 2 token(s) of user "alice".')
    assert.deepEqual(await tokenIds(), [kept.token.id])

    const none = await runCommand('token:revoke', ['--user=alice', '--all'])
    none.assertSucceeded()
    none.assertLog('[ green(success) ] Revoked 0 token(s) of user "alice".')
  })

  test('refuses {name}; nothing is revoked')
    .with([
      { name: 'an unknown token id', argv: ['999999'], message: 'No token with id 999999.' },
      {
        name: 'a non-numeric id',
        argv: ['abc'],
        message: 'The token id must be a positive whole number, e.g. 42.',
      },
      {
        name: 'a zero id',
        argv: ['0'],
        message: 'The token id must be a positive whole number, e.g. 42.',
      },
      {
        name: 'a fractional id',
        argv: ['1.5'],
        message: 'The token id must be a positive whole number, e.g. 42.',
      },
      {
        name: 'no id and no --user',
        argv: [],
        message: 'Give a token id, or --user=<username> --all.',
      },
      {
        name: '--user without --all',
        argv: ['--user=alice'],
        message: 'Give a token id, or --all to revoke every token of "alice".',
      },
      { name: '--all without --user', argv: ['--all'], message: '--all needs --user=<username>.' },
      {
        name: 'an id with --all',
        argv: ['<id>', '--user=alice', '--all'],
        message: 'Give a token id or --all, not both.',
      },
      {
        name: 'an unknown --user',
        argv: ['--user=nobody', '--all'],
        message: 'No user named "nobody".',
      },
      {
        name: 'an id with an unknown --user',
        argv: ['<id>', '--user=nobody'],
        message: 'No user named "nobody".',
      },
    ])
    .run(async ({ assert }, { argv, message }) => {
      const alice = await createUser('alice')
      const { token } = await tokenService.create(alice)
      const command = await runCommand(
        'token:revoke',
        argv.map((arg: string) => arg.replace('<id>', String(token.id)))
      )

      assertError(command, message)
      assert.equal(await tokenCount(), 1)
    })
})

test.group('user:deactivate with tokens', (group) => {
  isolateEachTest(group)

  test('tokens of a deactivated user stop working on the next request', async ({ client }) => {
    await createUser('alice')
    const key = printedKey(await runCommand('token:create', ['alice']))
    const before = await client
      .get(urlFor('api.v1.protected'))
      .header('Authorization', `Token ${key}`)
    before.assertStatus(200)

    const deactivate = await runCommand('user:deactivate', ['alice'])
    deactivate.assertSucceeded()
    const after = await client
      .get(urlFor('api.v1.protected'))
      .header('Authorization', `Token ${key}`)
    after.assertStatus(401)
    after.assertBody({ detail: 'User inactive or deleted.' })

    const activate = await runCommand('user:activate', ['alice'])
    activate.assertSucceeded()
    const again = await client
      .get(urlFor('api.v1.protected'))
      .header('Authorization', `Token ${key}`)
    again.assertStatus(200)
  })
})
