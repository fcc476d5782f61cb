import { rmSync } from 'node:fs'
import pg from 'pg'
import app from '@adonisjs/core/services/app'
import db from '@adonisjs/lucid/services/db'
import testUtils from '@adonisjs/core/services/test_utils'
import tokenCache from '#services/token_cache'
import { resetThrottle } from '#tests/helpers/throttle'

/**
 * Every run starts from an empty database. SQLite: the test file is removed.
 * PostgreSQL: the suite runs in a database of its own (DB_DATABASE,
 * "gatehouse_test" from .env.test), dropped and created again.
 */
export async function prepareTestDatabase() {
  const config = app.config.get<any>('database')
  const connection = config.connections[config.connection]
  if (connection.client === 'better-sqlite3') {
    await db.manager.closeAll()
    const file = connection.connection.filename
    for (const suffix of ['', '-wal', '-shm']) rmSync(`${file}${suffix}`, { force: true })
    return
  }
  if (connection.client !== 'pg' || typeof connection.connection === 'string') return

  const { database, ...server } = connection.connection
  const client = new pg.Client({ ...server, database: 'postgres' })
  await client.connect()
  try {
    const name = `"${database.replace(/"/g, '""')}"`
    await client.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`)
    await client.query(`CREATE DATABASE ${name}`)
  } finally {
    await client.end()
  }
}

/** Empties every application table (not the migrations bookkeeping, not the SQLite change log). */
export async function truncateAll() {
  const connection = db.connection()
  const allTables = await connection.getAllTables(['public'])
  // auth_changes is append-only: the token cache of this process reads it by increasing id.
  const tables = allTables.filter(
    (table) => !table.startsWith('adonis_schema') && table !== 'auth_changes'
  )
  if (tables.length === 0) return
  if (connection.dialect.name === 'postgres') {
    // TRUNCATE costs ~40 ms even when every table is empty: only the tables
    // that hold rows or whose id sequence has been used (the rest are already
    // as TRUNCATE … RESTART IDENTITY leaves them).
    const { rows } = await connection.rawQuery(
      [
        ...tables.map((t) => `SELECT '${t}' AS name WHERE EXISTS (SELECT 1 FROM "${t}")`),
        `SELECT t.relname AS name FROM pg_sequences q
           JOIN pg_class s ON s.relname = q.sequencename AND s.relkind = 'S'
           JOIN pg_depend d ON d.classid = 'pg_class'::regclass AND d.objid = s.oid
             AND d.deptype IN ('a', 'i')
           JOIN pg_class t ON t.oid = d.refobjid
           WHERE q.schemaname = 'public' AND q.last_value IS NOT NULL`,
      ].join(' UNION ')
    )
    const used = tables.filter((t) => rows.some((row: { name: string }) => row.name === t))
    if (used.length === 0) return
    await connection.rawQuery(
      `TRUNCATE ${used.map((t) => `"${t}"`).join(', ')} RESTART IDENTITY CASCADE`
    )
    return
  }
  for (const table of tables) await connection.truncate(table, true)
}

/**
 * Runs each test of a group in a global transaction, rolled back after it:
 * the in-process HTTP server and ace commands share Lucid's connection, so
 * they see the test's rows. For tests where another process or connection
 * must see them (child processes, LISTEN), use truncateEachTest instead.
 *
 * The token cache learns of changes once they are committed (SQLite: through
 * a connection of its own; PostgreSQL: NOTIFY), which never happens here: it
 * is detached for the test and every request reads the database. The token
 * cache specs, and groups that count a cached request's queries, test it on
 * committed rows (truncateEachTest).
 */
export function isolateEachTest(group: {
  setup: (fn: () => any) => void
  each: { setup: (fn: () => any) => void }
}) {
  // A truncating group before this one leaves its last test's rows behind.
  group.setup(() => truncateAll())
  group.each.setup(async () => {
    await resetThrottle()
    const rollback = await testUtils.db().withGlobalTransaction()
    const feed = tokenCache.feed
    tokenCache.feed = undefined
    return async () => {
      await rollback()
      tokenCache.feed = feed
      // Entries of rolled-back rows must not outlive them.
      tokenCache.clear()
    }
  })
}

/** Empties every table and the in-memory login throttle before each test of a group. */
export function truncateEachTest(group: { each: { setup: (fn: () => any) => void } }) {
  group.each.setup(async () => {
    await resetThrottle()
    await truncateAll()
  })
}

/** The dialect in use, for the rare assertion that differs. */
export function dialectName() {
  return db.connection().dialect.name
}
