import { DateTime } from 'luxon'
import db from '@adonisjs/lucid/services/db'
import { sqlTimestamp } from '#services/sql'
import encryption from '@adonisjs/core/services/encryption'
import logger from '@adonisjs/core/services/logger'
import AccessToken from '#models/access_token'
import { ENCRYPTION_PURPOSE, currentKeyId } from '#services/token_service'

const TABLE = AccessToken.table

/**
 * After an APP_KEY change, get-or-create tokens whose secret was sealed with
 * another key can no longer be handed out again, and their keys must stop
 * working: web processes run this at boot (providers/app_key_sweep_provider.ts).
 * Tokens are found by their key fingerprint (secret_key_id, indexed), in
 * batches; rows without one (sealed before fingerprints, or by drf:import)
 * are decrypted once here and either adopted or expired. Never per request.
 */
export class AppKeySweepService {
  constructor(
    private encrypter = encryption,
    private batchSize = 500
  ) {}

  async run(): Promise<{ expired: number; adopted: number }> {
    const keyId = currentKeyId(this.encrypter)
    let expired = 0
    let adopted = 0

    // Sealed with another key, known from the fingerprint.
    for (;;) {
      const rows = await db
        .from(TABLE)
        .whereNotNull('encrypted_secret')
        .whereNotNull('secret_key_id')
        .whereNot('secret_key_id', keyId)
        .orderBy('id')
        .limit(this.batchSize)
        .select('id')
      if (rows.length === 0) break
      expired += await this.expire(rows.map((row) => row.id))
    }

    // No fingerprint yet: decrypt to know.
    let after = 0
    for (;;) {
      const rows: { id: number; encrypted_secret: string }[] = await db
        .from(TABLE)
        .whereNotNull('encrypted_secret')
        .whereNull('secret_key_id')
        .where('id', '>', after)
        .orderBy('id')
        .limit(this.batchSize)
        .select('id', 'encrypted_secret')
      if (rows.length === 0) break
      after = rows[rows.length - 1].id
      const readable = rows.filter(
        (row) => this.encrypter.decrypt(row.encrypted_secret, ENCRYPTION_PURPOSE) !== null
      )
      const unreadable = rows.filter((row) => !readable.includes(row))
      if (readable.length > 0) {
        adopted += Number(
          await db
            .from(TABLE)
            .whereIn(
              'id',
              readable.map((row) => row.id)
            )
            .whereNull('secret_key_id')
            .update({ secret_key_id: keyId })
        )
      }
      if (unreadable.length > 0) expired += await this.expire(unreadable.map((row) => row.id))
    }

    if (expired > 0) {
      logger.warn(
        'APP_KEY changed: %d get-or-create token(s) sealed with another key were expired; their owners get a new key at their next sign-in',
        expired
      )
    }
    return { expired, adopted }
  }

  /** Drops the secret (freeing the name) and ends the key's life now, unless it ended already. */
  private async expire(ids: number[]) {
    const now = sqlTimestamp(DateTime.now())
    const updated = await db
      .from(TABLE)
      .whereIn('id', ids)
      .whereNotNull('encrypted_secret')
      .update({
        encrypted_secret: null,
        secret_key_id: null,
        updated_at: now,
        expires_at: db.raw(
          'CASE WHEN expires_at IS NULL OR expires_at > ? THEN ? ELSE expires_at END',
          [now, now]
        ),
      })
    return Number(updated)
  }
}

export default new AppKeySweepService()
