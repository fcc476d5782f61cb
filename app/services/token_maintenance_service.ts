import { type DateTime } from 'luxon'
import db from '@adonisjs/lucid/services/db'
import gatehouse from '#config/gatehouse'
import AccessToken from '#models/access_token'
import type User from '#models/user'

const TABLE = AccessToken.table
const UNIT_SECONDS: Record<string, number> = { s: 1, m: 60, h: 3600, d: 86400, w: 604800 }

/** A duration for `token:prune --expired-for`: 0, or a number and a unit (s, m, h, d, w). */
export const DURATION_PATTERN = /^(0|[1-9][0-9]{0,5}[smhdw])$/

export interface PruneOptions {
  /** Tokens whose expires_at is before this instant are removed. */
  expiredBefore: DateTime
  /** Rows deleted per statement; keeps each transaction and lock short. */
  batchSize?: number
  /** Called after each batch with the running total. */
  onBatch?: (removed: number) => void
}

/** Seconds in a DURATION_PATTERN value ("24h" → 86400). */
export function durationSeconds(value: string): number {
  if (!DURATION_PATTERN.test(value)) throw new Error(`Invalid duration "${value}"`)
  if (value === '0') return 0
  return Number(value.slice(0, -1)) * UNIT_SECONDS[value.at(-1)!]
}

/**
 * Operator-side token work for the CLI: every user's tokens, lookups and
 * revocation by id, and pruning of expired tokens. Users' own token
 * operations live in TokenService.
 */
export class TokenMaintenanceService {
  constructor(private config = gatehouse.tokens) {}

  /** Tokens of one user, or of everyone, oldest first, with their user loaded. */
  list(user?: User) {
    const query = AccessToken.query()
      .where('type', this.config.type)
      .preload('user')
      .orderBy('id', 'asc')
    if (user) query.where('tokenable_id', user.id)
    return query
  }

  findById(id: number) {
    return AccessToken.query()
      .where('id', id)
      .where('type', this.config.type)
      .preload('user')
      .first()
  }

  /** Revokes a token by id, whoever owns it; false when there is no such token. */
  async revokeById(id: number): Promise<boolean> {
    const deleted = await db.from(TABLE).where('id', id).where('type', this.config.type).delete()
    return Number(deleted) > 0
  }

  /** How many tokens expired before the given instant (an index range count). */
  async countExpired(expiredBefore: DateTime): Promise<number> {
    const row = await this.expiredQuery(expiredBefore).count('* as total').first()
    return Number(row?.total ?? 0)
  }

  /**
   * Deletes tokens that expired before `expiredBefore`, `batchSize` rows per
   * statement (DELETE … WHERE id IN (SELECT id … LIMIT n)), so a table of
   * millions of rows is never loaded and no statement holds a lock for long.
   */
  async prune({ expiredBefore, batchSize = 1000, onBatch }: PruneOptions): Promise<number> {
    let removed = 0
    for (;;) {
      const ids = this.expiredQuery(expiredBefore).select('id').limit(batchSize)
      const deleted = Number(await db.from(TABLE).whereIn('id', ids).delete())
      if (deleted === 0) break
      removed += deleted
      onBatch?.(removed)
      if (deleted < batchSize) break
    }
    return removed
  }

  private expiredQuery(expiredBefore: DateTime) {
    return db
      .from(TABLE)
      .where('type', this.config.type)
      .whereNotNull('expires_at')
      .where('expires_at', '<', expiredBefore.toFormat(db.connection().dialect.dateTimeFormat))
  }
}

export default new TokenMaintenanceService()
