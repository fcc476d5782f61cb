import { test } from '@japa/runner'
import { rmSync } from 'node:fs'
import Database from 'better-sqlite3'
import app from '@adonisjs/core/services/app'
import { SQLITE_TRIGGERS, SqliteChangeLog } from '#services/auth_changes'
import type { Change } from '#services/token_cache'

/** A change log file written by "another process" (a second connection) and read by the feed. */
function setup() {
  const file = app.makePath(`tmp/change-log-${process.pid}.sqlite3`)
  for (const suffix of ['', '-wal', '-shm']) rmSync(`${file}${suffix}`, { force: true })
  const writer = new Database(file)
  writer.pragma('journal_mode = WAL')
  writer.exec(
    'CREATE TABLE auth_changes (id INTEGER PRIMARY KEY AUTOINCREMENT, user_id INTEGER NOT NULL)'
  )
  // Stand-ins for the migration's triggers: the feed checks that they all exist.
  writer.exec('CREATE TABLE watched (x INTEGER)')
  for (const name of SQLITE_TRIGGERS) {
    writer.exec(`CREATE TRIGGER ${name} AFTER UPDATE ON watched BEGIN SELECT 1; END`)
  }
  const evicted: Change[] = []
  const sink = { generation: 0, evict: (change: Change) => void evicted.push(change) }
  const feed = new SqliteChangeLog(file, sink)
  const log = (userId: number) =>
    writer.prepare('INSERT INTO auth_changes (user_id) VALUES (?)').run(userId)
  return {
    feed,
    evicted,
    log,
    writer,
    async close() {
      await feed.stop()
      writer.close()
      for (const suffix of ['', '-wal', '-shm']) rmSync(`${file}${suffix}`, { force: true })
    },
  }
}

/** The feed checks once per turn of the event loop: each sync here starts a turn of its own. */
async function syncNextTurn(feed: SqliteChangeLog) {
  await new Promise((resolve) => setImmediate(resolve))
  feed.sync()
}

test.group('SqliteChangeLog', () => {
  test('evicts the users another connection logged, each once', async ({ assert, cleanup }) => {
    const { feed, evicted, log, close } = setup()
    cleanup(close)
    assert.isTrue(feed.up)
    evicted.length = 0 // opening starts from an empty cache

    await syncNextTurn(feed)
    assert.deepEqual(evicted, [], 'nothing committed since it opened')

    log(4)
    log(9)
    await syncNextTurn(feed)
    assert.deepEqual(evicted, [4, 9])
    await syncNextTurn(feed)
    assert.deepEqual(evicted, [4, 9], 'nothing new: data_version did not move')
  })

  test('every commit is seen by the next sync, across WAL checkpoints and restarts', async ({
    assert,
    cleanup,
  }) => {
    const { feed, evicted, log, writer, close } = setup()
    cleanup(close)
    assert.isTrue(feed.up)
    evicted.length = 0
    for (let userId = 1; userId <= 300; userId++) {
      log(userId)
      // Checkpoints move the WAL back to its start (new salts, frame count 0).
      if (userId % 50 === 0) writer.pragma('wal_checkpoint(TRUNCATE)')
      if (userId % 70 === 0) writer.pragma('wal_checkpoint(RESTART)')
      await syncNextTurn(feed)
      assert.equal(evicted.at(-1), userId, `change ${userId} seen on the next sync`)
    }
    assert.lengthOf(evicted, 300)
  })

  test('no commit, no data_version read: the WAL index header decides', async ({
    assert,
    cleanup,
  }) => {
    const { feed, log, close } = setup()
    cleanup(close)
    assert.isTrue(feed.up)
    await syncNextTurn(feed)
    const checks = feed.versionChecks
    for (let i = 0; i < 20; i++) await syncNextTurn(feed)
    assert.equal(feed.versionChecks, checks, 'nothing committed: the pragma is skipped')
    log(3)
    await syncNextTurn(feed)
    assert.equal(feed.versionChecks, checks + 1, 'a commit: the pragma runs once')
  })

  test('one check per turn of the event loop: a commit after it is seen in the next turn', async ({
    assert,
    cleanup,
  }) => {
    const { feed, evicted, log, close } = setup()
    cleanup(close)
    assert.isTrue(feed.up)
    evicted.length = 0
    await syncNextTurn(feed)
    // Requests answered in this turn were read before it began, so before this commit.
    log(7)
    feed.sync()
    assert.deepEqual(evicted, [], 'the same turn: not read again')
    await syncNextTurn(feed)
    assert.deepEqual(evicted, [7], 'the next turn sees it')
  })

  test('a commit that logs nothing (a last-used write) evicts nothing', async ({
    assert,
    cleanup,
  }) => {
    const { feed, evicted, writer, close } = setup()
    cleanup(close)
    assert.isTrue(feed.up)
    evicted.length = 0
    writer.exec('CREATE TABLE other (x INTEGER)')
    writer.exec('INSERT INTO other (x) VALUES (1)')
    await syncNextTurn(feed)
    assert.deepEqual(evicted, [])
  })

  test('a log emptied or pruned past what it read empties the cache', async ({
    assert,
    cleanup,
  }) => {
    const { feed, evicted, log, writer, close } = setup()
    cleanup(close)
    log(1)
    assert.isTrue(feed.up)
    evicted.length = 0

    log(2)
    log(3)
    // Pruned past this reader's position: it cannot know what it missed.
    writer.exec('DELETE FROM auth_changes WHERE id <= 2')
    await syncNextTurn(feed)
    assert.deepEqual(evicted, ['*'])

    evicted.length = 0
    writer.exec('DELETE FROM auth_changes')
    await syncNextTurn(feed)
    assert.deepEqual(evicted, ['*'])
  })

  test('without the table (no migrations yet) it is down: no cache', async ({
    assert,
    cleanup,
  }) => {
    const { feed, writer, close } = setup()
    cleanup(close)
    writer.exec('DROP TABLE auth_changes')
    assert.isFalse(feed.up)
  })

  test('a trigger dropped (a migration rebuilt a table) turns the cache off', async ({
    assert,
    cleanup,
  }) => {
    const { feed, evicted, writer, log, close } = setup()
    cleanup(close)
    assert.isTrue(feed.up)
    evicted.length = 0

    writer.exec('DROP TRIGGER users_changed')
    log(5)
    await syncNextTurn(feed)
    assert.isFalse(feed.up)
    assert.include(evicted, '*')
  })
})
