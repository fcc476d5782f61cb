import db from '@adonisjs/lucid/services/db'
import logger from '@adonisjs/core/services/logger'
import gatehouse from '#config/gatehouse'
import AccessToken from '#models/access_token'
import { hashKey, isDrfKey, isWellFormedKey } from '#services/token_key'
import { revocations } from '#services/metrics'
import audit, { aboutToken } from '#services/audit_service'

/** Where a report came from, for the record (never the keys themselves). */
export interface LeakReport {
  ip?: string
  userAgent?: string
}

export interface RevokedLeak {
  id: number
  userId: number
  name: string | null
  hint: string | null
  /** null: issued by Gatehouse; "drf": imported from Django REST Framework. */
  source: string | null
}

/**
 * Revocation of keys reported as leaked (GitHub-style secret scanning):
 * whoever holds a key may kill it. The reporter learns nothing: the caller
 * answers the same way whatever was revoked, and the same two statements run
 * whether the report holds live keys, dead ones or garbage.
 */
export class LeakedKeyService {
  constructor(private config = gatehouse.tokens) {}

  /** Revokes every live key among `keys` (Gatehouse keys and imported DRF keys). */
  async revoke(keys: string[], report: LeakReport = {}): Promise<RevokedLeak[]> {
    // Malformed entries and bad checksums can match nothing: only well-formed keys are looked up.
    const hashes = [
      ...new Set(
        keys.filter((key) => isWellFormedKey(this.config.prefix, key) || isDrfKey(key)).map(hashKey)
      ),
    ]

    const revoked = await db.transaction(async (trx) => {
      const rows = await trx
        .from(AccessToken.table)
        .whereIn('hash', hashes)
        .where('type', this.config.type)
        .select('id', 'tokenable_id', 'name', 'hint', 'source')
      await trx
        .from(AccessToken.table)
        .whereIn(
          'id',
          rows.map((row) => row.id)
        )
        .delete()
      return rows.map((row): RevokedLeak => ({
        id: Number(row.id),
        userId: Number(row.tokenable_id),
        name: row.name,
        hint: row.hint,
        source: row.source,
      }))
    })

    for (const token of revoked) {
      revocations.leaked.inc()
      logger.warn(
        { tokenId: token.id, userId: token.userId, ip: report.ip },
        'token revoked: its key was reported as leaked'
      )
      await audit.record({
        event: 'token.revoked_leaked',
        actor: { type: 'system' },
        userId: token.userId,
        ...aboutToken(token),
        ip: report.ip,
        userAgent: report.userAgent,
      })
    }
    return revoked
  }
}

export default new LeakedKeyService()
