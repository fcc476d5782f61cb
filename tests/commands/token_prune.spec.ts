import { randomBytes } from 'node:crypto'
import { test } from '@japa/runner'
import { DateTime } from 'luxon'
import db from '@adonisjs/lucid/services/db'
import gatehouse from '#config/gatehouse'
import AccessToken from '#models/access_token'
import type User from '#models/user'
import tokenMaintenance from '#services/token_maintenance_service'
import { durationSeconds } from '#services/duration'
import userService from '#services/user_service'
import { isolateEachTest } from '#tests/helpers/database'
import { assertError, runCommand } from '#tests/helpers/commands'

const LONG_EXPIRED = 2500
const RECENTLY_EXPIRED = 30
const LIVE = 20
const NEVER_EXPIRING = 5

/** Inserts `count` tokens expiring at `expiresAt` with multi-row INSERTs. */
async function insertTokens(user: User, count: number, expiresAt: DateTime | null) {
  const format = db.connection().dialect.dateTimeFormat
  const now = DateTime.now().toFormat(format)
  const rows = Array.from({ length: count }, (_, index) => ({
    tokenable_id: user.id,
    type: gatehouse.tokens.type,
    name: `seeded-${index}`,
    hash: randomBytes(32).toString('hex'),
    abilities: '["*"]',
    encrypted_secret: null,
    hint: null,
    created_at: now,
    updated_at: now,
    last_used_at: null,
    expires_at: expiresAt?.toFormat(format) ?? null,
  }))
  // 500 rows × 11 columns stays under SQLite's bound-parameter limit
  for (let start = 0; start < rows.length; start += 500) {
    await db.table(AccessToken.table).multiInsert(rows.slice(start, start + 500))
  }
}

async function countTokens() {
  const [row] = await db.from(AccessToken.table).count('* as total')
  return Number(row.total)
}

async function seed() {
  const user = await userService.create({ username: 'bulk', password: 'correct horse battery' })
  await insertTokens(user, LONG_EXPIRED, DateTime.now().minus({ days: 2 }))
  await insertTokens(user, RECENTLY_EXPIRED, DateTime.now().minus({ hours: 1 }))
  await insertTokens(user, LIVE, DateTime.now().plus({ days: 30 }))
  await insertTokens(user, NEVER_EXPIRING, null)
  return user
}

test.group('token:prune', (group) => {
  isolateEachTest(group)

  test('removes tokens expired for longer than 24h (the default) and keeps the rest', async ({
    assert,
  }) => {
    await seed()
    const command = await runCommand('token:prune')

    command.assertSucceeded()
    command.assertLog(`[ green(success) ] Removed ${LONG_EXPIRED} expired token(s).`)
    assert.equal(await countTokens(), RECENTLY_EXPIRED + LIVE + NEVER_EXPIRING)
    const remaining = await AccessToken.query().whereNotNull('expires_at')
    const cutoff = DateTime.now().minus({ hours: 24 })
    assert.isTrue(remaining.every((token) => token.expiresAt! > cutoff))
  })

  test('--expired-for=0 removes every expired token', async ({ assert }) => {
    await seed()
    const command = await runCommand('token:prune', ['--expired-for=0'])

    command.assertSucceeded()
    command.assertLog(
      `[ green(success) ] Removed ${LONG_EXPIRED + RECENTLY_EXPIRED} expired token(s).`
    )
    assert.equal(await countTokens(), LIVE + NEVER_EXPIRING)
  })

  test('--expired-for=3d keeps tokens expired two days ago', async ({ assert }) => {
    await seed()
    const command = await runCommand('token:prune', ['--expired-for=3d'])

    command.assertSucceeded()
    command.assertLogMatches(/^\[ blue\(info\) \] No tokens expired before \S+Z\.$/)
    assert.equal(await countTokens(), LONG_EXPIRED + RECENTLY_EXPIRED + LIVE + NEVER_EXPIRING)
  })

  test('--dry-run counts and removes nothing', async ({ assert }) => {
    await seed()
    const command = await runCommand('token:prune', ['--dry-run'])

    command.assertSucceeded()
    command.assertLogMatches(
      new RegExp(
        `^\\[ blue\\(info\\) \\] Would remove ${LONG_EXPIRED} token\\(s\\) that expired before \\S+Z\\.$`
      )
    )
    assert.equal(await countTokens(), LONG_EXPIRED + RECENTLY_EXPIRED + LIVE + NEVER_EXPIRING)
  })

  test('refuses --expired-for="{$self}" and removes nothing')
    .with(['1y', 'never', '-1d', '24', 'soon', '1.5h'])
    .run(async ({ assert }, value) => {
      await seed()
      const command = await runCommand('token:prune', [`--expired-for=${value}`])

      assertError(
        command,
        '--expired-for must be 0 or a number and a unit (s, m, h, d, w), e.g. 24h.'
      )
      assert.equal(await countTokens(), LONG_EXPIRED + RECENTLY_EXPIRED + LIVE + NEVER_EXPIRING)
    })
})

test.group('TokenMaintenanceService.prune', (group) => {
  isolateEachTest(group)

  test('deletes in batches of the given size, reporting the running total', async ({ assert }) => {
    await seed()
    const expiredBefore = DateTime.now().minus({ hours: 24 })
    const progress: number[] = []

    assert.equal(await tokenMaintenance.countExpired(expiredBefore), LONG_EXPIRED)
    const removed = await tokenMaintenance.prune({
      expiredBefore,
      batchSize: 1000,
      onBatch: (done) => progress.push(done),
    })

    assert.equal(removed, LONG_EXPIRED)
    assert.deepEqual(progress, [1000, 2000, 2500])
    assert.equal(await tokenMaintenance.countExpired(expiredBefore), 0)
    assert.equal(await countTokens(), RECENTLY_EXPIRED + LIVE + NEVER_EXPIRING)
  })

  test('an exact multiple of the batch size ends with one empty batch', async ({ assert }) => {
    const user = await userService.create({ username: 'bulk', password: 'correct horse battery' })
    await insertTokens(user, 200, DateTime.now().minus({ days: 2 }))
    const progress: number[] = []

    const removed = await tokenMaintenance.prune({
      expiredBefore: DateTime.now(),
      batchSize: 100,
      onBatch: (done) => progress.push(done),
    })

    assert.equal(removed, 200)
    assert.deepEqual(progress, [100, 200])
    assert.equal(await countTokens(), 0)
  })

  test('durationSeconds reads {value} as {seconds}s')
    .with([
      { value: '0', seconds: 0 },
      { value: '45s', seconds: 45 },
      { value: '15m', seconds: 900 },
      { value: '24h', seconds: 86400 },
      { value: '7d', seconds: 604800 },
      { value: '2w', seconds: 1209600 },
    ])
    .run(({ assert }, { value, seconds }) => {
      assert.equal(durationSeconds(value), seconds)
    })
})
