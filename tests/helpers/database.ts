import pg from 'pg'
import app from '@adonisjs/core/services/app'
import db from '@adonisjs/lucid/services/db'
import testUtils from '@adonisjs/core/services/test_utils'
import { resetThrottle } from '#tests/helpers/throttle'

/**
 * On PostgreSQL the suite runs in a database of its own (DB_DATABASE,
 * "gatehouse_test" from .env.test): create it when it is missing.
 */
export async function prepareTestDatabase() {
  const config = app.config.get<any>('database')
  const connection = config.connections[config.connection]
  if (connection.client !== 'pg' || typeof connection.connection === 'string') return

  const { database, ...server } = connection.connection
  const client = new pg.Client({ ...server, database: 'postgres' })
  await client.connect()
  try {
    const found = await client.query('SELECT 1 FROM pg_database WHERE datname = $1', [database])
    if (found.rowCount === 0) {
      await client.query(`CREATE DATABASE "${database.replace(/"/g, '""')}"`)
    }
  } finally {
    await client.end()
  }
}

/**
 * Empties every table before each test of a group, and the login throttle
 * counters (so failed sign-ins in one test never throttle the next).
 */
export function truncateEachTest(group: { each: { setup: (fn: () => any) => void } }) {
  group.each.setup(async () => {
    await resetThrottle()
    return testUtils.db().truncate()
  })
}

/** The dialect in use, for the rare assertion that differs. */
export function dialectName() {
  return db.connection().dialect.name
}
