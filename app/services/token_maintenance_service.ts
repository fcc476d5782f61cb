import { type DateTime } from 'luxon'
import db from '@adonisjs/lucid/services/db'
import gatehouse from '#config/gatehouse'
import AccessToken from '#models/access_token'
import type User from '#models/user'
import { type BatchDeleteOptions, deleteInBatches, sqlTimestamp } from '#services/sql'

const TABLE = AccessToken.table

export interface PruneOptions extends BatchDeleteOptions {
  /** Tokens whose expires_at is before this instant are removed. */
  expiredBefore: DateTime
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

  /** Deletes tokens that expired before `expiredBefore`, in batches (see deleteInBatches). */
  prune({ expiredBefore, ...batches }: PruneOptions): Promise<number> {
    return deleteInBatches(TABLE, () => this.expiredQuery(expiredBefore), batches)
  }

  private expiredQuery(expiredBefore: DateTime) {
    return db
      .from(TABLE)
      .where('type', this.config.type)
      .whereNotNull('expires_at')
      .where('expires_at', '<', sqlTimestamp(expiredBefore))
  }
}

export default new TokenMaintenanceService()
