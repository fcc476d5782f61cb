import type { DateTime } from 'luxon'
import db from '@adonisjs/lucid/services/db'
import type { DatabaseQueryBuilderContract } from '@adonisjs/lucid/types/querybuilder'

/** Anything that knows its dialect: the connection, a transaction. */
type DialectSource = { dialect: { dateTimeFormat: string } }

/** A DateTime as the database stores it (each dialect has its own format). */
export function sqlTimestamp(value: DateTime, client: DialectSource = db.connection()): string {
  return value.toFormat(client.dialect.dateTimeFormat)
}

export interface BatchDeleteOptions {
  /** Rows deleted per statement; keeps each transaction and lock short. */
  batchSize?: number
  /** Called after each batch with the running total. */
  onBatch?: (removed: number) => void
}

/**
 * Deletes the rows `matching()` selects, `batchSize` per statement
 * (DELETE … WHERE id IN (SELECT id … LIMIT n)), so a table of millions of rows
 * is never loaded and no statement holds a lock for long.
 */
export async function deleteInBatches(
  table: string,
  matching: () => DatabaseQueryBuilderContract<any>,
  { batchSize = 1000, onBatch }: BatchDeleteOptions = {}
): Promise<number> {
  let removed = 0
  for (;;) {
    const ids = matching().select('id').limit(batchSize)
    const deleted = Number(await db.from(table).whereIn('id', ids).delete())
    if (deleted === 0) break
    removed += deleted
    onBatch?.(removed)
    if (deleted < batchSize) break
  }
  return removed
}
