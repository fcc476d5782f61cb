import { closeSync, openSync, readSync } from 'node:fs'
import Database from 'better-sqlite3'
import pg from 'pg'
import type { Logger } from '@adonisjs/core/logger'
import type { Change, ChangeFeed } from '#services/token_cache'
import { currentPollPhase, pollPhaseWithArrivals } from '#services/poll_phase'

/** The pg_notify channel of database/migrations/1732500002001_create_auth_change_triggers.ts. */
export const CHANNEL = 'gatehouse_auth_changes'

/** The SQLite triggers that must all exist for the change log to be complete. */
export const SQLITE_TRIGGERS = [
  'auth_access_tokens_changed',
  'auth_access_tokens_deleted',
  'users_changed',
  'users_deleted',
]

/** The two copies of SQLite's WalIndexHdr at the start of the -shm file (readers' marks come after). */
const WAL_INDEX_HEADER_BYTES = 96

/** PostgreSQL application_name of LISTEN connections (then `:<pid>`). */
export const APPLICATION_NAME = 'gatehouse-token-cache'

/** The parts of better-sqlite3 used here (it ships no type declarations). */
export interface SqliteStatement {
  get(...params: unknown[]): unknown
  all(...params: unknown[]): unknown[]
  pluck(): SqliteStatement
}
export interface SqliteConnection {
  prepare(sql: string): SqliteStatement
  pragma(sql: string): unknown
  close(): void
}

/** What a feed does with what it learns. */
export interface ChangeSink {
  evict(change: Change): void
  /** A write of this process is under way: reads begun before it must not be stored. */
  generation: number
}

/**
 * SQLite: the triggers append each changed user's id to auth_changes. This
 * process keeps a connection of its own to the file (it only reads), on
 * which `PRAGMA data_version` changes whenever any other connection, this
 * process's own Lucid connection included, has committed. Only then is the
 * change log read; a last-used write moves data_version but logs nothing,
 * so it evicts nothing.
 *
 * The pragma opens and closes a read transaction (a lock taken and released
 * on the WAL index), which is most of what a cache hit costs. So it runs
 * only when the WAL index header has moved: SQLite rewrites that header
 * (two 48-byte copies at the start of the `-shm` file, written by writers
 * only; its change counter moves on every commit) before a commit becomes
 * visible to any reader, and `pread` reads the same pages SQLite maps.
 * Unchanged bytes therefore mean no commit since the last pragma. The
 * header is read before the pragma, so a commit in between is seen next
 * time. Without a `-shm` file (not WAL), the pragma runs every time.
 */
export class SqliteChangeLog implements ChangeFeed {
  #db?: SqliteConnection
  #dataVersion?: SqliteStatement
  #bounds?: SqliteStatement
  #since?: SqliteStatement
  #schemaVersion?: SqliteStatement
  #triggers?: SqliteStatement
  #schema = -1
  #version = -1
  #warned = false
  #cursor = 0
  #retryAt = 0
  #walIndex?: number
  /** `PRAGMA data_version` reads: only when the WAL index header moved (tests count them). */
  versionChecks = 0
  /** The poll phase whose requests the last check serves (-1: none, see sync()). */
  #checkedIn = -1
  #header = Buffer.alloc(WAL_INDEX_HEADER_BYTES)
  #seenHeader = Buffer.alloc(WAL_INDEX_HEADER_BYTES, 0xff)

  constructor(
    private filename: string,
    private sink: ChangeSink,
    private logger?: Logger
  ) {}

  /** Opened on first use (the file and its migrations may not exist at boot). */
  get up(): boolean {
    return this.#db !== undefined || this.#open()
  }

  /** The feed's own connection, for the authenticator's prepared lookup. */
  get connection() {
    return this.up ? this.#db : undefined
  }

  /**
   * Checks at most once per poll phase of the event loop in which HTTP
   * requests arrived (app/services/poll_phase.ts): every request read in
   * that phase had arrived before the phase's poll returned, so before a
   * check made after the first of them was read, and a change committed
   * before such a request was sent is seen by that check. A request sent
   * after the check is read in a later phase, which checks again. A check
   * made when no request has arrived in the current phase (timers, a
   * command, a test) serves only itself. Exceptions, all with a request
   * already on its way while the commit happened (so concurrent with it):
   * the rest of a request half sent before the commit, a request pipelined
   * behind one already waiting, or more than 1024 sockets ready at once
   * (libuv then polls again within the same phase). The `pread` and its
   * system call were ~4% of a cached request's CPU; under load one poll
   * phase reads several requests.
   */
  sync() {
    if (!this.#db || this.#checkedIn === currentPollPhase()) return
    this.#checkedIn = pollPhaseWithArrivals() ?? -1
    try {
      const header = this.#readWalIndexHeader()
      if (header && header.equals(this.#seenHeader)) return
      if (header) header.copy(this.#seenHeader)
      else this.#seenHeader.fill(0xff)
      this.versionChecks++
      const version = this.#dataVersion!.get() as number
      if (version === this.#version) return
      this.#version = version
      // A schema change may have rebuilt a table and dropped its triggers (see the migration).
      if (this.#schemaVersion!.get() !== this.#schema && !this.#complete()) {
        throw new Error(`a trigger is missing (${SQLITE_TRIGGERS.join(', ')})`)
      }
      const { first, last } = this.#bounds!.get() as { first: number | null; last: number | null }
      if (last === null || last < this.#cursor || first! > this.#cursor + 1) {
        // Emptied, or pruned past what this process has read: it cannot know what it missed.
        if ((last ?? 0) !== this.#cursor) this.sink.evict('*')
        this.#cursor = last ?? 0
        return
      }
      for (const userId of this.#since!.all(this.#cursor) as number[]) this.sink.evict(userId)
      this.#cursor = last
    } catch (error) {
      this.logger?.error({ err: error }, 'token cache: cannot read auth_changes; cache off')
      this.#close()
    }
  }

  async stop() {
    this.#close()
  }

  #open(): boolean {
    if (Date.now() < this.#retryAt) return false
    let db: SqliteConnection | undefined
    try {
      db = new Database(this.filename, { fileMustExist: true }) as SqliteConnection
      db.pragma('busy_timeout = 5000')
      this.#dataVersion = db.prepare('PRAGMA data_version').pluck()
      this.#bounds = db.prepare('SELECT min(id) AS first, max(id) AS last FROM auth_changes')
      this.#since = db.prepare('SELECT user_id FROM auth_changes WHERE id > ? ORDER BY id').pluck()
      this.#schemaVersion = db.prepare('PRAGMA schema_version').pluck()
      this.#triggers = db
        .prepare(
          `SELECT count(*) FROM sqlite_master WHERE type = 'trigger' AND name IN (${SQLITE_TRIGGERS.map(() => '?').join(', ')})`
        )
        .pluck()
      if (!this.#complete()) throw new Error('a trigger is missing')
      this.#version = this.#dataVersion.get() as number
      this.#cursor = ((this.#bounds.get() as { last: number | null }).last ?? 0) as number
      this.#db = db
      this.#walIndex = this.#openWalIndex()
      this.sink.evict('*')
      return true
    } catch (error) {
      db?.close()
      // No database, no migrations yet, or a trigger missing: no cache (checked again in a second).
      if (!this.#warned) {
        this.#warned = true
        this.logger?.warn({ err: error }, 'token cache: auth change log unavailable; cache off')
      }
      this.#retryAt = Date.now() + 1000
      return false
    }
  }

  /** The `-shm` file, opened after this connection's first read (which keeps it in place while open). */
  #openWalIndex(): number | undefined {
    try {
      return openSync(`${this.filename}-shm`, 'r')
    } catch {
      return undefined
    }
  }

  /** True when every trigger exists; remembers the schema version it checked. */
  #complete() {
    this.#schema = this.#schemaVersion!.get() as number
    return this.#triggers!.get(...SQLITE_TRIGGERS) === SQLITE_TRIGGERS.length
  }

  /** The WAL index header as it is now, or undefined without one (not WAL) or on a short read. */
  #readWalIndexHeader(): Buffer | undefined {
    if (this.#walIndex === undefined) return undefined
    const read = readSync(this.#walIndex, this.#header, 0, WAL_INDEX_HEADER_BYTES, 0)
    return read === WAL_INDEX_HEADER_BYTES ? this.#header : undefined
  }

  #close() {
    this.sink.evict('*')
    this.#db?.close()
    this.#db = undefined
    if (this.#walIndex !== undefined) closeSync(this.#walIndex)
    this.#walIndex = undefined
    this.#seenHeader.fill(0xff)
    this.#retryAt = Date.now() + 1000
  }
}

/** Columns a write may set without changing anything authentication reads. */
const BOOKKEEPING = new Set([
  'last_used_at',
  'last_used_ip',
  'last_used_agent',
  'last_login_at',
  'updated_at',
])
const AUTH_TABLE_WRITE = /^\s*(update|delete\s+from|truncate)\s+"?(users|auth_access_tokens)"?\s/i
const COMMIT_OR_TRUNCATE = /^\s*(commit|truncate)\b/i
const SET_COLUMNS = /\sset\s+(.*?)\s+where\s/is

/** True for a statement of this process that may change what the cache holds. */
export function mayChangeAuth(sql: string): boolean {
  if (COMMIT_OR_TRUNCATE.test(sql)) return true
  const write = AUTH_TABLE_WRITE.exec(sql)
  if (!write) return false
  if (write[1].toLowerCase() !== 'update') return true
  const set = SET_COLUMNS.exec(sql)?.[1]
  if (!set) return true
  const columns = [...set.matchAll(/"?(\w+)"?\s*=/g)].map((match) => match[1])
  return columns.length === 0 || columns.some((column) => !BOOKKEEPING.has(column))
}

/**
 * PostgreSQL: the triggers pg_notify the changed user's id. This process
 * LISTENs on a connection of its own and serves from the cache only while
 * that connection is up; each (re)connection starts from an empty cache,
 * since notifications sent while it was down are lost.
 *
 * This process's own writes: a notification comes back a moment after the
 * commit, so a request that follows a write of this process at once could
 * still be answered from the cache. Each auth-relevant statement of this
 * process (seen on knex's query event) marks the feed stale; the next
 * request first makes one round trip on the LISTEN connection, after which
 * every notification of that write has arrived (PostgreSQL sends them
 * before answering).
 *
 * A connection that hangs without closing (a network partition) is caught
 * by a heartbeat: with no answer for `silenceMs`, the cache stops serving.
 */
export class PgNotifications implements ChangeFeed {
  #client?: pg.Client
  #up = false
  #heardAt = 0
  #heartbeat?: NodeJS.Timeout
  #stopped = false
  #delay = 100
  #written = 0
  #synced = 0
  #catchingUp?: Promise<void>

  constructor(
    private connection: pg.ClientConfig | string,
    private sink: ChangeSink,
    private logger?: Logger,
    private silenceMs = 3000
  ) {}

  get up() {
    if (!this.#up) return false
    if (Date.now() - this.#heardAt < this.silenceMs) return true
    // Silent for too long: whatever was missed, the cache starts over when it answers again.
    this.sink.evict('*')
    return false
  }

  /** Nothing of this process's own writes is still on its way. */
  get fresh() {
    return this.#written === this.#synced
  }

  start() {
    this.#stopped = false
    void this.#connect()
  }

  /** Called for every statement this process sends (knex's query event). */
  observe(sql: string) {
    if (!mayChangeAuth(sql)) return
    this.#written++
    this.sink.generation++
  }

  sync(): void | Promise<void> {
    if (this.fresh) return
    return this.#catchUp()
  }

  async stop() {
    this.#stopped = true
    const client = this.#client
    this.#down(client)
    await client?.end().catch(() => {})
  }

  async #catchUp() {
    while (!this.fresh && this.#up) {
      this.#catchingUp ??= this.#roundTrip().finally(() => (this.#catchingUp = undefined))
      await this.#catchingUp
    }
  }

  async #roundTrip() {
    const target = this.#written
    try {
      await this.#client!.query('SELECT 1')
      this.#synced = Math.max(this.#synced, target)
    } catch {
      this.#down(this.#client)
    }
  }

  async #connect() {
    if (this.#stopped) return
    const options =
      typeof this.connection === 'string' ? { connectionString: this.connection } : this.connection
    const client = new pg.Client({
      ...options,
      application_name: `${APPLICATION_NAME}:${process.pid}`,
    })
    this.#client = client
    client.on('notification', (message) => {
      this.#heardAt = Date.now()
      const payload = message.payload ?? '*'
      this.sink.evict(payload === '*' ? '*' : Number(payload))
    })
    client.on('error', () => this.#down(client))
    client.on('end', () => this.#down(client))
    try {
      await client.connect()
      await client.query(`LISTEN ${CHANNEL}`)
      if (this.#client !== client) return
      this.sink.evict('*')
      this.#synced = this.#written
      this.#up = true
      this.#heardAt = Date.now()
      this.#delay = 100
      this.#heartbeat = setInterval(() => this.#beat(client), this.silenceMs / 3).unref()
      this.logger?.debug('token cache: listening for auth changes')
    } catch (error) {
      this.logger?.warn({ err: error }, 'token cache: cannot LISTEN; serving from the database')
      this.#down(client)
    }
  }

  #beat(client: pg.Client) {
    client.query('SELECT 1').then(
      () => {
        if (this.#client === client) this.#heardAt = Date.now()
      },
      () => this.#down(client)
    )
  }

  /** The connection is gone: no cache until a new one listens. */
  #down(client?: pg.Client) {
    if (!client || this.#client !== client) return
    this.#client = undefined
    clearInterval(this.#heartbeat)
    const wasUp = this.#up
    this.#up = false
    this.sink.evict('*')
    client.end().catch(() => {})
    if (wasUp) this.logger?.warn('token cache: LISTEN connection lost; serving from the database')
    if (this.#stopped) return
    setTimeout(() => void this.#connect(), this.#delay).unref()
    this.#delay = Math.min(this.#delay * 2, 5000)
  }
}
