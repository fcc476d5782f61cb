import { test } from '@japa/runner'
import db from '@adonisjs/lucid/services/db'
import User from '#models/user'
import tokenService from '#services/token_service'
import { printable } from '#services/terminal_text'
import loginThrottle from '#services/login_throttle'
import { isolateEachTest } from '#tests/helpers/database'
import { PASSWORD } from '#tests/helpers/factories'
import { output, runCommand } from '#tests/helpers/commands'

/** What a terminal would act on: C0 (but the newlines of JSON), DEL, C1, bidi controls. */
function isControl(char: string) {
  const code = char.codePointAt(0)!
  return (
    (code < 0x20 && code !== 0x0a) ||
    (code >= 0x7f && code <= 0x9f) ||
    (code >= 0x202a && code <= 0x202e) ||
    (code >= 0x2066 && code <= 0x2069)
  )
}

/** A user as a row from before the username rule (or a database edited by hand) would be. */
async function legacyUser() {
  const user = await User.create({ username: 'legacy', password: PASSWORD })
  await db
    .from('users')
    .where('id', user.id)
    .update({ username: 'evil\u001b[2J\u001b]0;pwned\u0007', email: 'e\u009b31m@example.com' })
  await user.refresh()
  await tokenService.create(user, { name: 'n\u001b[31mred\u202eoc', expiresIn: null })
  return user
}

function assertPrintable(assert: { isFalse: (v: boolean, m?: string) => void }, lines: string[]) {
  for (const line of lines) assert.isFalse([...line].some(isControl), JSON.stringify(line))
}

test.group('CLI output escapes control characters', (group) => {
  isolateEachTest(group)

  test('printable() escapes what a terminal would act on and nothing else', ({ assert }) => {
    assert.equal(printable('a\u001b[2Jb\u0007'), 'a\\x1b[2Jb\\x07')
    assert.equal(printable('\u009b\u202e\u007f'), '\\x9b\\u{202e}\\x7f')
    assert.equal(printable('zoë ａｄｍｉｎ @.+-_'), 'zoë ａｄｍｉｎ @.+-_')
  })

  test('{command}')
    .with([
      { command: 'user:list', argv: [] },
      { command: 'user:list', argv: ['--json'] },
      { command: 'token:list', argv: [] },
      { command: 'token:list', argv: ['--json'] },
      { command: 'token:list', argv: ['no\u001b[31mbody'] },
      { command: 'user:deactivate', argv: ['no\u001b[31mbody'] },
      { command: 'user:activate', argv: ['no\u001b[31mbody'] },
      { command: 'user:password', argv: ['no\u001b[31mbody'] },
      { command: 'drf:import', argv: ['tmp/no\u001b[31msuch.sqlite3'] },
    ])
    .run(async ({ assert }, { command, argv }) => {
      await legacyUser()
      const ran = await runCommand(command, argv)
      const lines = [...output(ran, 'stdout'), ...output(ran, 'stderr')]
      assert.isAbove(lines.length, 0)
      assertPrintable(assert, lines)
      assert.match(lines.join('\n'), /\\x1b|\\u001b/)
      if (argv.includes('--json')) assert.isArray(JSON.parse(lines[0]))
    })

  test('token:revoke', async ({ assert }) => {
    const user = await legacyUser()
    const [token] = await db.from('auth_access_tokens').where('tokenable_id', user.id).select('id')
    const ran = await runCommand('token:revoke', [String(token.id)])
    ran.assertSucceeded()
    const lines = output(ran)
    assertPrintable(assert, lines)
    assert.match(lines.join('\n'), /\\x1b\[31mred\\u\{202e\}oc/)
  })

  test('audit:list, with what a failed sign-in sent', async ({ assert }) => {
    const user = await legacyUser()
    const agent = 'agent\u001b]0;x\u0007\u009b'
    assert.isNull(await loginThrottle.attempt(user.username, 'wrong password', '192.0.2.1', agent))
    for (const argv of [[], ['--json']]) {
      const ran = await runCommand('audit:list', argv)
      ran.assertSucceeded()
      const lines = output(ran)
      assertPrintable(assert, lines)
      assert.include(lines.join('\n'), 'sign_in.failed')
      if (argv.length) assert.equal(JSON.parse(lines[0])[0].userAgent, agent)
    }
  })
})
