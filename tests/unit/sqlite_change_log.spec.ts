import { test } from '@japa/runner'
import { rmSync } from 'node:fs'
import Database from 'better-sqlite3'
import app from '@adonisjs/core/services/app'
import { SQLITE_TRIGGERS, SqliteChangeLog } from '#services/auth_changes'
import { requestArrived } from '#services/poll_phase'
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

/** After the check phase: the poll phase has moved on (if a request arrived in it). */
function nextPhase() {
  return new Promise((resolve) => setImmediate(resolve))
}

test.group('SqliteChangeLog', () => {
  test('evicts the users another connection logged, each once', async ({ assert, cleanup }) => {
    const { feed, evicted, log, close } = setup()
    cleanup(close)
    assert.isTrue(feed.up)
    evicted.length = 0 // opening starts from an empty cache

    feed.sync()
    assert.deepEqual(evicted, [], 'nothing committed since it opened')

    log(4)
    log(9)
    feed.sync()
    assert.deepEqual(evicted, [4, 9])
    feed.sync()
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
      feed.sync()
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
    feed.sync()
    const checks = feed.versionChecks
    for (let i = 0; i < 20; i++) feed.sync()
    assert.equal(feed.versionChecks, checks, 'nothing committed: the pragma is skipped')
    log(3)
    feed.sync()
    assert.equal(feed.versionChecks, checks + 1, 'a commit: the pragma runs once')
  })

  test('once per poll phase with requests: a commit after its check is seen in the next phase', async ({
    assert,
    cleanup,
  }) => {
    const { feed, evicted, log, close } = setup()
    cleanup(close)
    assert.isTrue(feed.up)
    evicted.length = 0
    requestArrived()
    feed.sync()
    const checks = feed.versionChecks
    // Every request read in this phase arrived before the check: they may share it.
    log(7)
    feed.sync()
    assert.deepEqual(evicted, [], 'the same poll phase: not read again')
    await nextPhase()
    feed.sync()
    assert.deepEqual(evicted, [7], 'the next phase checks again')
    assert.equal(feed.versionChecks, checks + 1)
    await nextPhase()
  })

  test('a check made before any request arrived in the phase serves only itself', async ({
    assert,
    cleanup,
  }) => {
    const { feed, evicted, log, close } = setup()
    cleanup(close)
    assert.isTrue(feed.up)
    evicted.length = 0
    await nextPhase()
    feed.sync() // e.g. from a timer: before this phase's poll returned
    log(8)
    requestArrived() // a request that may have been sent after the commit
    feed.sync()
    assert.deepEqual(evicted, [8])
    await nextPhase() // the other tests run with no request arrived
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
    feed.sync()
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
    feed.sync()
    assert.deepEqual(evicted, ['*'])

    evicted.length = 0
    writer.exec('DELETE FROM auth_changes')
    feed.sync()
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
    feed.sync()
    assert.isFalse(feed.up)
    assert.include(evicted, '*')
  })
})
