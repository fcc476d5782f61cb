import { test } from '@japa/runner'
import { copyFileSync, mkdirSync, rmSync } from 'node:fs'
import app from '@adonisjs/core/services/app'
import ace from '@adonisjs/core/services/ace'
import db from '@adonisjs/lucid/services/db'
import type { QueryClientContract } from '@adonisjs/lucid/types/database'
import { isolateEachTest } from '#tests/helpers/database'
import { sqliteFixture } from '#tests/helpers/drf_fixtures'
import User from '#models/user'

/** Runs the command with a fresh log, so assertions see its output only. */
async function importCommand(args: string[]) {
  ace.ui.logger.flushLogs()
  return ace.exec('drf:import', args)
}

/** Runs a change on a scratch SQLite file through a short-lived Lucid connection. */
async function withSqlite(file: string, change: (client: QueryClientContract) => Promise<unknown>) {
  db.manager.add('drf_scratch', { client: 'better-sqlite3', connection: { filename: file } })
  try {
    await change(db.connection('drf_scratch'))
  } finally {
    await db.manager.close('drf_scratch', true)
  }
}

async function counts() {
  const [users, tokens] = await Promise.all([
    db.from('users').count('* as total').first(),
    db.from('auth_access_tokens').count('* as total').first(),
  ])
  return { users: Number(users.total), tokens: Number(tokens.total) }
}

test.group('node ace drf:import', (group) => {
  group.setup(async () => {
    ace.ui.switchMode('raw')
    return () => ace.ui.switchMode('normal')
  })
  isolateEachTest(group)

  test('imports the fixture and prints a summary', async ({ assert }) => {
    const command = await importCommand([sqliteFixture()])

    command.assertSucceeded()
    command.assertLog(
      '[ blue(info) ] Users: 9 imported, 0 updated, 0 unchanged, 0 skipped (of 9)',
      'stdout'
    )
    command.assertLog(
      '[ blue(info) ] Tokens: 7 imported, 0 updated, 0 unchanged, 0 revoked (gone from the source), 0 skipped (of 7)',
      'stdout'
    )
    const output = command.logger
      .getLogs()
      .map((log: { message: string }) => log.message)
      .join('\n')
    assert.include(output, 'Weak password formats imported: md5.')
    assert.include(output, 'unusable: sign-in refused')
    assert.deepEqual(await counts(), { users: 9, tokens: 7 })
  })

  test('a second run reports everything unchanged', async ({ assert }) => {
    await importCommand([sqliteFixture()])
    const command = await importCommand([sqliteFixture(), '--batch-size=4'])

    command.assertSucceeded()
    command.assertLog(
      '[ blue(info) ] Users: 0 imported, 0 updated, 9 unchanged, 0 skipped (of 9)',
      'stdout'
    )
    assert.deepEqual(await counts(), { users: 9, tokens: 7 })
  })

  test('a re-run says what it left alone and why', async () => {
    await importCommand([sqliteFixture()])
    const alice = await User.findByOrFail('username', 'alice')
    await db.from('auth_access_tokens').where('tokenable_id', alice.id).delete()
    const deactivate = await ace.exec('user:deactivate', ['carol'])
    deactivate.assertSucceeded()

    const command = await importCommand([sqliteFixture()])
    command.assertSucceeded()
    command.assertLog(
      '[ blue(info) ] 1 left alone, key revoked in Gatehouse: not brought back (alice)',
      'stdout'
    )
    command.assertLog(
      '[ blue(info) ] 1 left alone, deactivated in Gatehouse: is_active kept (carol)',
      'stdout'
    )
  })

  test('--dry-run writes nothing', async ({ assert }) => {
    const command = await importCommand([sqliteFixture(), '--dry-run'])

    command.assertSucceeded()
    assert.match(command.logger.getLogs()[0].message, /Dry run, nothing written/)
    assert.deepEqual(await counts(), { users: 0, tokens: 0 })
  })

  test('--only-users leaves tokens out', async ({ assert }) => {
    const command = await importCommand([sqliteFixture(), '--only-users'])

    command.assertSucceeded()
    command.assertLog('[ blue(info) ] Tokens: not imported (--only-users)', 'stdout')
    assert.deepEqual(await counts(), { users: 9, tokens: 0 })
  })

  test('fails with one clear line: {name}')
    .with([
      {
        name: 'missing file',
        args: ['tmp/no-such-django.sqlite3'],
        error: 'Source not found: tmp/no-such-django.sqlite3 is not a file.',
      },
      {
        name: 'not a SQLite file',
        args: ['package.json'],
        error: 'Cannot read the source database package.json: file is not a database',
      },
      {
        name: 'missing PostgreSQL database (password not shown)',
        args: ['postgres://postgres:hunter2@127.0.0.1:5432/gatehouse_no_such_db'],
        error:
          'Cannot read the source database postgres://postgres:***@127.0.0.1:5432/gatehouse_no_such_db: database "gatehouse_no_such_db" does not exist',
      },
      {
        name: 'bad --batch-size',
        args: [sqliteFixture(), '--batch-size=0'],
        error: '--batch-size must be a whole number from 1 to 2000.',
      },
    ])
    .run(async ({ assert }, { args, error }) => {
      const command = await importCommand(args)

      command.assertFailed()
      assert.deepEqual(
        command.logger.getLogs().map((log: { message: string }) => log.message),
        [`[ red(error) ] ${error}`]
      )
      assert.deepEqual(await counts(), { users: 0, tokens: 0 })
    })

  test('a Django database without authtoken_token imports users only', async ({ assert }) => {
    // A copy of the fixture without the token table.
    const file = app.tmpPath('drf-users-only.sqlite3')
    mkdirSync(app.tmpPath(), { recursive: true })
    copyFileSync(sqliteFixture(), file)
    await withSqlite(file, (copy) => copy.schema.dropTable('authtoken_token'))

    const command = await importCommand([file])
    command.assertSucceeded()
    command.assertLog(
      '[ yellow(warn) ] Tokens: none, the source has no authtoken_token table',
      'stdout'
    )
    assert.deepEqual(await counts(), { users: 9, tokens: 0 })

    await withSqlite(file, (copy) => copy.schema.dropTable('auth_user'))
    const failed = await importCommand([file])
    failed.assertFailed()
    failed.assertLog(
      `[ red(error) ] ${file} has no auth_user table: is it a Django database (with the default user model)?`,
      'stderr'
    )
    rmSync(file, { force: true })
  })
})
