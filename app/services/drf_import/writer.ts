import db from '@adonisjs/lucid/services/db'
import type { QueryClientContract } from '@adonisjs/lucid/types/database'
import gatehouse from '#config/gatehouse'
import AccessToken from '#models/access_token'
import { sealSecret } from '#services/token_service'
import { LEDGER, SOURCE, USER_LEDGER, parseDate, storedTime } from '#services/drf_import/summary'
import type { Accepted, BatchPlan, TokenPlan } from '#services/drf_import/planner'

/** Applies a batch's plan to Gatehouse's database, in one transaction. */
export class DrfWriter {
  constructor(private tokens = gatehouse.tokens) {}

  async apply(plan: BatchPlan, tokenName: string) {
    const { now, accepted } = plan
    await db.transaction(async (trx) => {
      if (plan.inserts.length > 0) {
        await trx
          .table('users')
          .multiInsert(plan.inserts.map((row) => ({ ...row, updated_at: now })))
        const ids = await trx
          .from('users')
          .whereIn(
            'username',
            plan.inserts.map((row) => row.username)
          )
          .select('id', 'username')
        const byName = new Map(ids.map((row) => [row.username as string, row.id as number]))
        for (const entry of accepted.values()) {
          entry.targetId ??= byName.get(entry.username) ?? null
        }
      }
      for (const { id, changes } of plan.updates) {
        await trx
          .from('users')
          .where('id', id)
          .update({ ...changes, updated_at: now })
      }
      if (plan.tokens) await this.applyTokens(trx, plan.tokens, accepted, tokenName, now)
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

  private async applyTokens(
    trx: QueryClientContract,
    work: TokenPlan,
    accepted: Map<number, Accepted>,
    tokenName: string,
    now: string
  ) {
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
        ...sealedColumns(token.retrievable ? token.key : null),
        source: SOURCE,
        created_at: storedTime(parseDate(token.created, 'utc')) ?? now,
        updated_at: now,
        last_used_at: null,
        expires_at: null,
      }))
    )
  }
}

/** A DRF key kept retrievable is sealed as Gatehouse seals its own (token_service's sealSecret). */
function sealedColumns(key: string | null) {
  if (key === null) return { encrypted_secret: null, secret_key_id: null }
  const sealed = sealSecret(key)
  return { encrypted_secret: sealed.encryptedSecret, secret_key_id: sealed.secretKeyId }
}
