import { execFile } from 'node:child_process'
import { readFile } from 'node:fs/promises'
import { randomBytes } from 'node:crypto'
import { promisify } from 'node:util'
import pg from 'pg'
import app from '@adonisjs/core/services/app'

export interface ManifestUser {
  username: string
  email: string
  password: string | null
  hasher: string | null
  is_active: boolean
  is_staff: boolean
  is_superuser: boolean
  password_hash: string
  token: string | null
}

/** The Django + DRF test databases, committed in the repository (read-only; see its README). */
export function fixturesDir() {
  return app.makePath('tests/fixtures/django')
}

export const sqliteFixture = () => `${fixturesDir()}/django-authtoken.sqlite3`

export async function manifest(name: 'manifest.json' | 'manifest.pg.json') {
  const text = await readFile(`${fixturesDir()}/${name}`, 'utf8')
  return JSON.parse(text).users as ManifestUser[]
}

/** The PostgreSQL server of the app's pg connection (DB_HOST…, or DATABASE_URL). */
function pgServer() {
  const connection = app.config.get<any>('database').connections.pg.connection
  const settings =
    typeof connection === 'string'
      ? (() => {
          const url = new URL(connection)
          return {
            host: url.hostname,
            port: Number(url.port || 5432),
            user: decodeURIComponent(url.username),
            password: decodeURIComponent(url.password),
          }
        })()
      : connection
  const { host, port, user, password } = settings
  return { host, port: Number(port), user, password: password || undefined }
}

/**
 * Loads the PostgreSQL dump into a fresh database with psql and returns its
 * URL and a function that drops it.
 */
export async function loadPgFixture() {
  const server = pgServer()
  const database = `gatehouse_drf_src_${randomBytes(6).toString('hex')}`
  const admin = new pg.Client({ ...server, database: 'postgres' })
  await admin.connect()
  try {
    await admin.query(`CREATE DATABASE ${database}`)
  } finally {
    await admin.end()
  }
  const credentials = server.password
    ? `${encodeURIComponent(server.user)}:${encodeURIComponent(server.password)}`
    : encodeURIComponent(server.user)
  const url = `postgres://${credentials}@${server.host}:${server.port}/${database}`
  await promisify(execFile)('psql', [
    '--quiet',
    '--no-psqlrc',
    '--set',
    'ON_ERROR_STOP=1',
    '--dbname',
    url,
    '--file',
    `${fixturesDir()}/django-authtoken.pg.sql`,
  ])
  return {
    url,
    async drop() {
      const client = new pg.Client({ ...server, database: 'postgres' })
      await client.connect()
      try {
        await client.query(`DROP DATABASE IF EXISTS ${database} WITH (FORCE)`)
      } finally {
        await client.end()
      }
    },
  }
}
