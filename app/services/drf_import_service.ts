import { stat } from 'node:fs/promises'
import { randomUUID } from 'node:crypto'
import { DateTime } from 'luxon'
import db from '@adonisjs/lucid/services/db'
import type { QueryClientContract } from '@adonisjs/lucid/types/database'
import encryption from '@adonisjs/core/services/encryption'
import gatehouse from '#config/gatehouse'
import AccessToken from '#models/access_token'
import {
  DjangoHasher,
  exceedsCostCeiling,
  identifyDjangoHash,
  isWeakDjangoAlgorithm,
} from '#services/django_hasher'
import { hashKey, isDrfKey } from '#services/token_key'
import { ENCRYPTION_PURPOSE } from '#services/token_service'
import { USERNAME_RULE, isValidUsername } from '#validators/user'

/** A bad source or option: the message is safe to print as is (no secrets). */
export class DrfImportError extends Error {}

export interface DrfImportOptions {
  dryRun?: boolean
  onlyUsers?: boolean
  batchSize?: number
  /** Name given to imported tokens; the get-or-create name by default. */
  tokenName?: string
  onProgress?: (done: number, total: number) => void
}

interface Tally {
  seen: number
  imported: number
  updated: number
  unchanged: number
  skipped: number
  /** reason → how many, and a few usernames as examples */
  skippedReasons: Record<string, { count: number; examples: string[] }>
}

export interface DrfImportSummary {
  source: string
  dryRun: boolean
  users: Tally
  tokens: Tally & {
    /** Keys imported earlier that are no longer in the source: removed. */
    revoked: number
    /** Imported but not returned by get-or-create (the user already had such a token). */
    withoutGetOrCreate: number
    /** Why tokens were not looked at, when they were not. */
    notImported: 'only-users' | 'no-authtoken-table' | null
  }
  /** Django hasher name → number of users */
  passwordFormats: Record<string, number>
  /** Formats seen that are imported but flagged as weak. */
  weakFormats: string[]
  /** Formats seen that this installation cannot verify: those users cannot sign in. */
  unverifiableFormats: string[]
  /** Decisions taken in Gatehouse that the import kept: reason → how many, a few usernames. */
  leftAlone: Record<string, { count: number; examples: string[] }>
  /** Users whose hash is above the cost ceiling: imported with an unusable password. */
  mustResetPassword: { count: number; examples: string[] }
}

interface SourceUser {
  id: number
  username: string
  email: string
  password: string
  is_active: unknown
  is_staff: unknown
  is_superuser: unknown
  last_login: unknown
  date_joined: unknown
}

interface SourceToken {
  key: string
  user_id: number
  created: unknown
}

interface TargetUser {
  id: number
  username: string
  email: string | null
  password: string
  is_active: unknown
  is_staff: unknown
  is_superuser: unknown
  is_active_set_here: unknown
  last_login_at: unknown
  created_at: unknown
}

type UserRow = {
  username: string
  email: string | null
  password: string
  is_active: boolean
  is_staff: boolean
  is_superuser: boolean
  last_login_at: string | null
  created_at: string
}

const MAX_BATCH = 2000
const EXAMPLES = 5
/** auth_access_tokens.source of imported keys */
const SOURCE = 'drf'
/** Hash of every key ever imported, kept after its token row is gone. */
const LEDGER = 'drf_imported_keys'
/** Every username an import created or matched, kept after the user is gone. */
const USER_LEDGER = 'drf_imported_users'
/** Stored instead of a hash above the cost ceiling: unusable (`!`), so never run. */
const OVER_CEILING = '!gatehouse:hash-above-cost-ceiling'
const LEFT_ALONE = {
  revoked: 'key revoked in Gatehouse: not brought back',
  removed: 'key removed by an earlier import (gone from the source): not brought back',
  deactivated: 'deactivated in Gatehouse: is_active kept',
  activated: 'activated in Gatehouse: is_active kept',
  deleted: 'deleted or renamed in Gatehouse: not re-created',
}

function tally(): Tally {
  return { seen: 0, imported: 0, updated: 0, unchanged: 0, skipped: 0, skippedReasons: {} }
}

function note(into: Tally['skippedReasons'], reason: string, example: string) {
  const entry = (into[reason] ??= { count: 0, examples: [] })
  entry.count++
  if (entry.examples.length < EXAMPLES) entry.examples.push(example)
}

function skip(into: Tally, reason: string, example: string) {
  into.skipped++
  note(into.skippedReasons, reason, example)
}

function bool(value: unknown): boolean {
  return value === true || value === 1 || value === '1' || value === 't' || value === 'true'
}

/** Django stores aware datetimes in UTC (USE_TZ = True); SQLite hands them back as text. */
function parseDate(value: unknown, zone: 'utc' | 'local'): DateTime | null {
  if (value === null || value === undefined || value === '') return null
  if (value instanceof Date) return DateTime.fromJSDate(value)
  const text = String(value)
  const parsed = DateTime.fromSQL(text, { zone })
  if (parsed.isValid) return parsed
  const iso = DateTime.fromISO(text, { zone })
  return iso.isValid ? iso : null
}

/** Shows a PostgreSQL URL without its password. */
export function redactSource(source: string): string {
  if (!/^postgres(ql)?:\/\//i.test(source)) return source
  try {
    const url = new URL(source)
    if (url.password) url.password = '***'
    return url.toString()
  } catch {
    return 'postgres://…'
  }
}

/**
 * Imports a Django REST Framework database (auth_user, authtoken_token) into
 * Gatehouse, reading the source only. Users are matched by username, so a
 * re-run updates what changed and creates no duplicates. Password hashes are
 * kept as Django wrote them (the django hash driver verifies them); DRF keys
 * are stored hashed, with an encrypted copy for get-or-create.
 */
export class DrfImportService {
  constructor(
    private tokens = gatehouse.tokens,
    private hasher = new DjangoHasher(),
    private ceiling = gatehouse.passwords.djangoCeiling
  ) {}

  async run(source: string, options: DrfImportOptions = {}): Promise<DrfImportSummary> {
    const batchSize = options.batchSize ?? 500
    if (!Number.isInteger(batchSize) || batchSize < 1 || batchSize > MAX_BATCH) {
      throw new DrfImportError(`--batch-size must be a whole number from 1 to ${MAX_BATCH}.`)
    }
    const tokenName = (options.tokenName ?? this.tokens.defaultName).trim()
    if (tokenName === '' || tokenName.length > 255) {
      throw new DrfImportError('--token-name must be 1-255 characters.')
    }

    const summary: DrfImportSummary = {
      source: redactSource(source),
      dryRun: options.dryRun ?? false,
      users: tally(),
      tokens: { ...tally(), revoked: 0, withoutGetOrCreate: 0, notImported: null },
      passwordFormats: {},
      weakFormats: [],
      unverifiableFormats: [],
      leftAlone: {},
      mustResetPassword: { count: 0, examples: [] },
    }

    const target = db.connection().schema
    const migrated =
      (await target.hasTable('users')) &&
      (await target.hasColumn(AccessToken.table, 'source')) &&
      (await target.hasTable(LEDGER)) &&
      (await target.hasTable(USER_LEDGER))
    if (!migrated) {
      throw new DrfImportError(
        "Gatehouse's database is not migrated: run `node ace migration:run` first."
      )
    }

    const connection = await this.open(source)
    try {
      const sourceDb = db.connection(connection)
      const hasTokens = await this.checkTables(sourceDb, summary.source)
      if (options.onlyUsers) summary.tokens.notImported = 'only-users'
      else if (!hasTokens) summary.tokens.notImported = 'no-authtoken-table'
      const withTokens = summary.tokens.notImported === null
      const counted = await this.read(summary.source, () =>
        sourceDb.from('auth_user').count('* as total').first()
      )
      const total = Number(counted?.total ?? 0)
      const claimedEmails = new Map<string, string>()
      const claimedNames = new Map<string, string>()
      let afterId = 0
      let done = 0
      options.onProgress?.(0, total)

      while (true) {
        const users: SourceUser[] = await this.read(summary.source, () =>
          sourceDb
            .from('auth_user')
            .where('id', '>', afterId)
            .orderBy('id', 'asc')
            .limit(batchSize)
            .select(
              'id',
              'username',
              'email',
              'password',
              'is_active',
              'is_staff',
              'is_superuser',
              'last_login',
              'date_joined'
            )
        )
        if (users.length === 0) break
        afterId = users[users.length - 1].id

        const tokens: SourceToken[] = withTokens
          ? await this.read(summary.source, () =>
              sourceDb
                .from('authtoken_token')
                .whereIn(
                  'user_id',
                  users.map((user) => user.id)
                )
                .select('key', 'user_id', 'created')
            )
          : []

        await this.importBatch(
          users,
          withTokens ? tokens : null,
          tokenName,
          options,
          summary,
          claimedEmails,
          claimedNames
        )
        done += users.length
        options.onProgress?.(done, total)
      }
    } finally {
      await db.manager.close(connection, true)
    }

    for (const algorithm of Object.keys(summary.passwordFormats).sort()) {
      if (isWeakDjangoAlgorithm(algorithm)) {
        summary.weakFormats.push(algorithm)
      }
      if (algorithm !== 'unusable' && !(await this.hasher.canVerify(algorithm))) {
        summary.unverifiableFormats.push(algorithm)
      }
    }
    return summary
  }

  /** Registers a read-only Lucid connection to the source; returns its name. */
  async open(source: string): Promise<string> {
    const name = `drf_source_${randomUUID()}`
    if (/^postgres(ql)?:\/\//i.test(source)) {
      try {
        new URL(source)
      } catch {
        throw new DrfImportError(`Invalid PostgreSQL URL: ${redactSource(source)}`)
      }
      db.manager.add(name, {
        client: 'pg',
        connection: {
          connectionString: source,
          connectionTimeoutMillis: 5000,
        } as any,
        pool: {
          min: 0,
          max: 1,
          acquireTimeoutMillis: 10000,
          // The server itself refuses writes on this session; set after connecting, so
          // that no option of the URL (e.g. default_transaction_read_only=off) undoes it.
          afterCreate: (connection: any, done: (error: unknown, connection: unknown) => void) => {
            connection.query(
              'SET SESSION CHARACTERISTICS AS TRANSACTION READ ONLY',
              (error: unknown) => done(error, connection)
            )
          },
        },
      })
    } else {
      const file = source.replace(/^sqlite:(\/\/)?/i, '')
      const info = await stat(file).catch(() => null)
      if (!info?.isFile()) throw new DrfImportError(`Source not found: ${file} is not a file.`)
      db.manager.add(name, {
        client: 'better-sqlite3',
        connection: { filename: file, options: { readonly: true } } as any,
        useNullAsDefault: true,
      })
    }
    db.manager.connect(name)
    return name
  }

  /** Fails with one clear line unless auth_user is there; says whether authtoken_token is. */
  private async checkTables(sourceDb: QueryClientContract, label: string): Promise<boolean> {
    const [users, tokens] = await this.read(label, () =>
      Promise.all([
        sourceDb.schema.hasTable('auth_user'),
        sourceDb.schema.hasTable('authtoken_token'),
      ])
    )
    if (!users) {
      throw new DrfImportError(
        `${label} has no auth_user table: is it a Django database (with the default user model)?`
      )
    }
    return tokens
  }

  /** Runs a source query, turning driver errors into one readable line. */
  private async read<T>(label: string, query: () => PromiseLike<T>): Promise<T> {
    try {
      return await query()
    } catch (error) {
      if (error instanceof DrfImportError) throw error
      // knex prefixes driver errors with the SQL: keep the driver's own words
      const raw = ((error as Error).message ?? String(error)).split('\n')[0]
      const message = raw.includes(' - ') ? raw.slice(raw.lastIndexOf(' - ') + 3) : raw
      throw new DrfImportError(`Cannot read the source database ${label}: ${message}`)
    }
  }

  private async importBatch(
    users: SourceUser[],
    /** null when tokens are not imported */
    tokens: SourceToken[] | null,
    tokenName: string,
    options: DrfImportOptions,
    summary: DrfImportSummary,
    /** lower-cased email → username, and lower-cased username → username, of this run */
    claimedEmails: Map<string, string>,
    claimedNames: Map<string, string>
  ) {
    const dialect = db.connection().dialect
    const format = (value: DateTime | null) =>
      value ? value.setZone('local').toFormat(dialect.dateTimeFormat) : null
    const now = format(DateTime.now())!

    const existing = new Map<string, TargetUser>()
    for (const row of (await db
      .from('users')
      .whereIn(
        'username',
        users.map((user) => user.username)
      )
      .select('*')) as TargetUser[]) {
      existing.set(row.username, row)
    }
    const missing = users
      .map((user) => String(user.username ?? ''))
      .filter((name) => !existing.has(name))
    // Imported once and no longer here: deleted or renamed in Gatehouse.
    const gone = new Set<string>()
    if (missing.length) {
      for (const row of await db
        .from(USER_LEDGER)
        .whereIn('username', missing)
        .select('username')) {
        gone.add(row.username)
      }
    }
    const emails = users.map((user) => this.normalizeEmail(user.email)).filter(Boolean) as string[]
    const lowerNames = users.map((user) => String(user.username ?? '').toLowerCase())
    // Sign-in names already taken here: emails, and usernames an email could collide with.
    const emailOwners = new Map<string, string>()
    for (const row of await db
      .from('users')
      .whereIn('email', [...emails, ...lowerNames])
      .select('username', 'email')) {
      emailOwners.set(row.email, row.username)
    }
    const nameOwners = new Map<string, string>()
    if (emails.length) {
      for (const row of await db
        .from('users')
        .whereRaw(`lower(username) in (${emails.map(() => '?').join(', ')})`, emails)
        .select('username')) {
        nameOwners.set(row.username.toLowerCase(), row.username)
      }
    }

    const inserts: UserRow[] = []
    const updates: { id: number; changes: Partial<UserRow> }[] = []
    /** source user id → target user id (null until inserted) */
    const accepted = new Map<number, { username: string; targetId: number | null }>()

    for (const user of users) {
      summary.users.seen++
      const username = String(user.username ?? '')
      if (!isValidUsername(username)) {
        // By id: the name itself may hold terminal escapes.
        skip(
          summary.users,
          `username breaks the rules of user:create (${USERNAME_RULE})`,
          `#${user.id}`
        )
        continue
      }
      if (!existing.has(username) && gone.has(username)) {
        note(summary.leftAlone, LEFT_ALONE.deleted, username)
        continue
      }
      const email = this.normalizeEmail(user.email)
      const owner = email ? (claimedEmails.get(email) ?? emailOwners.get(email)) : undefined
      if (email && owner !== undefined && owner !== username) {
        skip(summary.users, 'email already belongs to another user', username)
        continue
      }
      // One sign-in name, one account: see UserService.assertNoCrossMatch.
      const lower = username.toLowerCase()
      const emailOf = claimedEmails.get(lower) ?? emailOwners.get(lower)
      if (emailOf !== undefined && emailOf !== username) {
        skip(summary.users, 'username is the email of another user', username)
        continue
      }
      const nameOf = email ? (claimedNames.get(email) ?? nameOwners.get(email)) : undefined
      if (nameOf !== undefined && nameOf !== username) {
        skip(summary.users, 'email is the username of another user', username)
        continue
      }
      if (email) claimedEmails.set(email, username)
      claimedNames.set(lower, username)

      let password = user.password ? String(user.password) : '!'
      const algorithm = identifyDjangoHash(password).algorithm
      summary.passwordFormats[algorithm] = (summary.passwordFormats[algorithm] ?? 0) + 1
      if (exceedsCostCeiling(password, this.ceiling)) {
        password = OVER_CEILING
        const entry = summary.mustResetPassword
        entry.count++
        if (entry.examples.length < EXAMPLES) entry.examples.push(username)
      }

      const row: UserRow = {
        username,
        email,
        password,
        is_active: bool(user.is_active),
        is_staff: bool(user.is_staff),
        is_superuser: bool(user.is_superuser),
        last_login_at: format(parseDate(user.last_login, 'utc')),
        created_at: format(parseDate(user.date_joined, 'utc') ?? DateTime.now())!,
      }

      const current = existing.get(username)
      if (!current) {
        inserts.push(row)
        accepted.set(user.id, { username, targetId: null })
        summary.users.imported++
        continue
      }
      accepted.set(user.id, { username, targetId: current.id })
      const changes = this.changes(current, row, format, summary)
      if (Object.keys(changes).length === 0) {
        summary.users.unchanged++
      } else {
        updates.push({ id: current.id, changes })
        summary.users.updated++
      }
    }

    const tokenWork = tokens ? await this.planTokens(tokens, accepted, tokenName, summary) : null

    if (options.dryRun) return

    await db.transaction(async (trx) => {
      if (inserts.length > 0) {
        await trx.table('users').multiInsert(inserts.map((row) => ({ ...row, updated_at: now })))
        const ids = await trx
          .from('users')
          .whereIn(
            'username',
            inserts.map((row) => row.username)
          )
          .select('id', 'username')
        const byName = new Map(ids.map((row) => [row.username as string, row.id as number]))
        for (const entry of accepted.values()) {
          entry.targetId ??= byName.get(entry.username) ?? null
        }
      }
      for (const { id, changes } of updates) {
        await trx
          .from('users')
          .where('id', id)
          .update({ ...changes, updated_at: now })
      }
      if (tokenWork) await this.applyTokens(trx, tokenWork, accepted, tokenName, now)
      if (accepted.size > 0) {
        await trx
          .knexQuery()
          .table(USER_LEDGER)
          .insert([...accepted.values()].map(({ username }) => ({ username, created_at: now })))
          .onConflict('username')
          .ignore()
      }
    })
  }

  /** What differs between Gatehouse's row and Django's; empty when nothing does. */
  private changes(
    current: TargetUser,
    row: UserRow,
    format: (v: DateTime | null) => string | null,
    summary: DrfImportSummary
  ) {
    const changes: Partial<UserRow> = {}
    if ((current.email ?? null) !== row.email) changes.email = row.email
    // A password set or re-hashed in Gatehouse wins over Django's; an
    // imported hash that is still Django's follows the source.
    if (this.hasher.isValidHash(current.password) && current.password !== row.password) {
      changes.password = row.password
    }
    for (const flag of ['is_active', 'is_staff', 'is_superuser'] as const) {
      if (bool(current[flag]) !== row[flag]) changes[flag] = row[flag]
    }
    // An activation or deactivation done in Gatehouse outlives re-imports.
    if (changes.is_active !== undefined && bool(current.is_active_set_here)) {
      delete changes.is_active
      const reason = row.is_active ? LEFT_ALONE.deactivated : LEFT_ALONE.activated
      note(summary.leftAlone, reason, current.username)
    }
    const currentCreated = format(parseDate(current.created_at, 'local'))
    if (currentCreated !== row.created_at) changes.created_at = row.created_at
    // Keep the later of the two last logins (the user may have signed in here since).
    const currentLogin = parseDate(current.last_login_at, 'local')
    const sourceLogin = parseDate(row.last_login_at, 'local')
    if (sourceLogin && (!currentLogin || sourceLogin > currentLogin.plus({ seconds: 1 }))) {
      changes.last_login_at = row.last_login_at
    }
    return changes
  }

  /** Decides, per DRF key, what to do; counts it. Writes nothing. */
  private async planTokens(
    tokens: SourceToken[],
    accepted: Map<number, { username: string; targetId: number | null }>,
    tokenName: string,
    summary: DrfImportSummary
  ) {
    const valid: (SourceToken & { hash: string })[] = []
    for (const token of tokens) {
      summary.tokens.seen++
      const owner = accepted.get(token.user_id)
      if (!owner) {
        skip(summary.tokens, 'its user was skipped', `user #${token.user_id}`)
        continue
      }
      if (!isDrfKey(String(token.key))) {
        skip(summary.tokens, 'key is not 40 lowercase hex characters', owner.username)
        continue
      }
      valid.push({ ...token, hash: hashKey(token.key) })
    }

    const targetIds = [...accepted.values()]
      .map((entry) => entry.targetId)
      .filter((id): id is number => id !== null)
    const keep = new Set(valid.map((token) => token.hash))

    // Imported once and no longer here: revoked in Gatehouse (by any path) or removed by an import.
    const gone = new Map<string, boolean>()
    for (const row of await db
      .from(LEDGER)
      .whereIn(
        'hash',
        valid.map((token) => token.hash)
      )
      .select('hash', 'removed_by_import')) {
      gone.set(row.hash, bool(row.removed_by_import))
    }

    const known = new Map<string, { id: number; tokenable_id: number }>()
    for (const row of await db
      .from(AccessToken.table)
      .whereIn(
        'hash',
        valid.map((token) => token.hash)
      )
      .select('id', 'tokenable_id', 'hash')) {
      known.set(row.hash, row)
    }
    // Keys this import brought in earlier that DRF no longer has (deleted or regenerated).
    const stale = targetIds.length
      ? (
          (await db
            .from(AccessToken.table)
            .whereIn('tokenable_id', targetIds)
            .where('source', SOURCE)
            .select('id', 'hash')) as { id: number; hash: string }[]
        ).filter((row) => !keep.has(row.hash))
      : []
    const staleHashes = stale.map((row) => row.hash)
    const staleIds = new Set(stale.map((row) => row.id))
    // Users whose get-or-create slot (type, name) is already taken by another live key.
    const slotTaken = new Set<number>()
    if (targetIds.length) {
      for (const row of await db
        .from(AccessToken.table)
        .whereIn('tokenable_id', targetIds)
        .where('type', this.tokens.type)
        .where('name', tokenName)
        .whereNotNull('encrypted_secret')
        .select('id', 'tokenable_id', 'hash')) {
        if (!staleIds.has(row.id) && !keep.has(row.hash)) slotTaken.add(row.tokenable_id)
      }
    }

    const inserts: (SourceToken & { hash: string; retrievable: boolean })[] = []
    const moves: { id: number; userId: number }[] = []
    for (const token of valid) {
      const owner = accepted.get(token.user_id)!
      const found = known.get(token.hash)
      if (!found && gone.has(token.hash)) {
        const reason = gone.get(token.hash) ? LEFT_ALONE.removed : LEFT_ALONE.revoked
        note(summary.leftAlone, reason, owner.username)
      } else if (!found) {
        const retrievable = owner.targetId === null || !slotTaken.has(owner.targetId)
        if (!retrievable) summary.tokens.withoutGetOrCreate++
        inserts.push({ ...token, retrievable })
        summary.tokens.imported++
      } else if (owner.targetId !== null && found.tokenable_id !== owner.targetId) {
        moves.push({ id: found.id, userId: token.user_id })
        summary.tokens.updated++
      } else {
        summary.tokens.unchanged++
      }
    }
    summary.tokens.revoked += stale.length
    return { inserts, moves, staleIds: [...staleIds], staleHashes }
  }

  private async applyTokens(
    trx: QueryClientContract,
    work: Awaited<ReturnType<DrfImportService['planTokens']>>,
    accepted: Map<number, { username: string; targetId: number | null }>,
    tokenName: string,
    now: string
  ) {
    const format = (value: DateTime | null) =>
      value ? value.setZone('local').toFormat(trx.dialect.dateTimeFormat) : null
    if (work.staleIds.length) {
      await trx.from(AccessToken.table).whereIn('id', work.staleIds).delete()
      await trx
        .knexQuery()
        .table(LEDGER)
        .insert(
          work.staleHashes.map((hash) => ({ hash, removed_by_import: true, created_at: now }))
        )
        .onConflict('hash')
        .merge(['removed_by_import'])
    }
    for (const move of work.moves) {
      await trx
        .from(AccessToken.table)
        .where('id', move.id)
        .update({ tokenable_id: accepted.get(move.userId)!.targetId, updated_at: now })
    }
    if (work.inserts.length === 0) return
    await trx
      .knexQuery()
      .table(LEDGER)
      .insert(
        work.inserts.map((token) => ({
          hash: token.hash,
          removed_by_import: false,
          created_at: now,
        }))
      )
      .onConflict('hash')
      .ignore()
    await trx.table(AccessToken.table).multiInsert(
      work.inserts.map((token) => ({
        tokenable_id: accepted.get(token.user_id)!.targetId,
        type: this.tokens.type,
        name: tokenName,
        hash: token.hash,
        hint: token.key.slice(0, 4),
        abilities: JSON.stringify(['*']),
        encrypted_secret: token.retrievable
          ? encryption.encrypt(token.key, { purpose: ENCRYPTION_PURPOSE })
          : null,
        source: SOURCE,
        created_at: format(parseDate(token.created, 'utc')) ?? now,
        updated_at: now,
        last_used_at: null,
        expires_at: null,
      }))
    )
  }

  /** Gatehouse keeps emails trimmed and lower-cased, and null for none (Django uses ""). */
  private normalizeEmail(email: unknown): string | null {
    return typeof email === 'string' && email.trim() !== '' ? email.trim().toLowerCase() : null
  }
}

export default new DrfImportService()
