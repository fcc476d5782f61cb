/*
|--------------------------------------------------------------------------
| Database (settings.DATABASES)
|--------------------------------------------------------------------------
|
| SQLite is the embedded default: a file under tmp/, in WAL mode, created on
| first start. DB_CONNECTION=pg switches to PostgreSQL, configured with
| DATABASE_URL or the DB_HOST/DB_PORT/DB_USER/DB_PASSWORD/DB_DATABASE set.
| Both run the same migrations.
|
| database/schema.ts generation is off: the migrations are the schema.
|
*/

import { mkdirSync } from 'node:fs'
import { dirname } from 'node:path'
import env from '#start/env'
import app from '@adonisjs/core/services/app'
import { defineConfig } from '@adonisjs/lucid'

const migrations = { naturalSort: true, paths: ['database/migrations'] }
const schemaGeneration = { enabled: false }
const debug = env.get('DB_DEBUG', false)
/** db:query events: asserted in tests, counted by `npm run bench` (BENCH_COUNT_QUERIES). */
const emitQueries = debug || app.inTest || env.get('BENCH_COUNT_QUERIES', false)

export const sqlitePath = app.makePath(env.get('DB_SQLITE_PATH', 'tmp/db.sqlite3'))
if (env.get('DB_CONNECTION', 'sqlite') === 'sqlite') {
  mkdirSync(dirname(sqlitePath), { recursive: true })
}

/**
 * Run migrations when the HTTP server starts: on by default outside
 * production, so `npm run dev` on a fresh clone just works.
 */
export const autoMigrate = env.get('DB_AUTO_MIGRATE', !app.inProduction)

const pgServer = {
  host: env.get('DB_HOST', '127.0.0.1'),
  port: env.get('DB_PORT', 5432),
  user: env.get('DB_USER', 'postgres'),
  password: env.get('DB_PASSWORD', ''),
  database: env.get('DB_DATABASE', 'gatehouse'),
  // node-postgres option: a server that accepts but never answers fails fast too
  // (with DATABASE_URL, add ?connect_timeout=3).
  connectionTimeoutMillis: 3000,
}

const dbConfig = defineConfig({
  connection: env.get('DB_CONNECTION', 'sqlite'),
  prettyPrintDebugQueries: debug,
  connections: {
    sqlite: {
      client: 'better-sqlite3',
      connection: {
        filename: sqlitePath,
      },
      useNullAsDefault: true,
      debug: emitQueries,
      pool: {
        afterCreate: (connection: any, done: (error: Error | null, conn: unknown) => void) => {
          connection.pragma('journal_mode = WAL')
          connection.pragma('synchronous = NORMAL')
          connection.pragma('foreign_keys = ON')
          connection.pragma('busy_timeout = 5000')
          done(null, connection)
        },
      },
      migrations,
      schemaGeneration,
    },
    pg: {
      client: 'pg',
      connection: env.get('DATABASE_URL') ?? pgServer,
      // Database down: requests fail within these bounds (answered 503), and
      // the pool reconnects by itself when the server is back.
      pool: { min: 0, max: 10, acquireTimeoutMillis: 5000, createTimeoutMillis: 3000 },
      debug: emitQueries,
      migrations,
      schemaGeneration,
    },
  },
})

export default dbConfig
