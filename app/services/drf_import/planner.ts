import { DateTime } from 'luxon'
import db from '@adonisjs/lucid/services/db'
import gatehouse from '#config/gatehouse'
import AccessToken from '#models/access_token'
import { DjangoHasher, exceedsCostCeiling, identifyDjangoHash } from '#hashing/django_hasher'
import { hashKey, isDrfKey } from '#services/token_key'
import {
  type DrfImportSummary,
  EXAMPLES,
  LEDGER,
  LEFT_ALONE,
  SOURCE,
  USER_LEDGER,
  bool,
  note,
  parseDate,
  skip,
  storedTime,
} from '#services/drf_import/summary'
import type { SourceToken, SourceUser } from '#services/drf_import/reader'
import { USERNAME_RULE, isValidUsername } from '#validators/rules'

/** Stored instead of a hash above the cost ceiling: unusable (`!`), so never run. */
const OVER_CEILING = '!gatehouse:hash-above-cost-ceiling'

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

export type UserRow = {
  username: string
  email: string | null
  password: string
  is_active: boolean
  is_staff: boolean
  is_superuser: boolean
  last_login_at: string | null
  created_at: string
}

/** A source user the import takes: its username, and its Gatehouse id (null until inserted). */
export interface Accepted {
  username: string
  targetId: number | null
}

export interface TokenPlan {
  inserts: (SourceToken & { hash: string; retrievable: boolean })[]
  moves: { id: number; userId: number }[]
  staleIds: number[]
  staleHashes: string[]
}

/** What one batch changes; the writer applies it as is. */
export interface BatchPlan {
  /** The batch's timestamp, as the database stores it. */
  now: string
  inserts: UserRow[]
  updates: { id: number; changes: Partial<UserRow> }[]
  /** source user id → the user it becomes */
  accepted: Map<number, Accepted>
  /** null when tokens are not imported */
  tokens: TokenPlan | null
}

/** Sign-in names claimed earlier in this run (lower-cased email or username → username). */
export interface Claims {
  emails: Map<string, string>
  names: Map<string, string>
}

/** Gatehouse keeps emails trimmed and lower-cased, and null for none (Django uses ""). */
function normalizeEmail(email: unknown): string | null {
  return typeof email === 'string' && email.trim() !== '' ? email.trim().toLowerCase() : null
}

/**
 * Decides what a batch of Django users and keys changes in Gatehouse, and why
 * (counted in the summary): reads Gatehouse's database, writes nothing.
 */
export class DrfPlanner {
  constructor(
    private tokens = gatehouse.tokens,
    private hasher = new DjangoHasher(),
    private ceiling = gatehouse.passwords.djangoCeiling
  ) {}

  async plan(
    users: SourceUser[],
    /** null when tokens are not imported */
    tokens: SourceToken[] | null,
    tokenName: string,
    summary: DrfImportSummary,
    claims: Claims
  ): Promise<BatchPlan> {
    const claimedEmails = claims.emails
    const claimedNames = claims.names
    const now = storedTime(DateTime.now())!

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
    const emails = users.map((user) => normalizeEmail(user.email)).filter(Boolean) as string[]
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
    const accepted = new Map<number, Accepted>()

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
      const email = normalizeEmail(user.email)
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
        last_login_at: storedTime(parseDate(user.last_login, 'utc')),
        created_at: storedTime(parseDate(user.date_joined, 'utc') ?? DateTime.now())!,
      }

      const current = existing.get(username)
      if (!current) {
        inserts.push(row)
        accepted.set(user.id, { username, targetId: null })
        summary.users.imported++
        continue
      }
      accepted.set(user.id, { username, targetId: current.id })
      const changes = this.changes(current, row, summary)
      if (Object.keys(changes).length === 0) {
        summary.users.unchanged++
      } else {
        updates.push({ id: current.id, changes })
        summary.users.updated++
      }
    }

    const tokenPlan = tokens ? await this.planTokens(tokens, accepted, tokenName, summary) : null
    return { now, inserts, updates, accepted, tokens: tokenPlan }
  }

  /** What differs between Gatehouse's row and Django's; empty when nothing does. */
  private changes(current: TargetUser, row: UserRow, summary: DrfImportSummary) {
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
    const currentCreated = storedTime(parseDate(current.created_at, 'local'))
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
    accepted: Map<number, Accepted>,
    tokenName: string,
    summary: DrfImportSummary
  ): Promise<TokenPlan> {
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
      for (const row of await AccessToken.query()
        .withScopes((scopes) => scopes.getOrCreateSlot(targetIds, this.tokens.type, tokenName))
        .select('id', 'tokenable_id', 'hash')
        .pojo<{ id: number; tokenable_id: number; hash: string }>()) {
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
}
