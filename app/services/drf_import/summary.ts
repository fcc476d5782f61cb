import { DateTime } from 'luxon'
import { sqlTimestamp } from '#services/sql'

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

export interface Tally {
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

export const EXAMPLES = 5
/** auth_access_tokens.source of imported keys */
export const SOURCE = 'drf'
/** Hash of every key ever imported, kept after its token row is gone. */
export const LEDGER = 'drf_imported_keys'
/** Every username an import created or matched, kept after the user is gone. */
export const USER_LEDGER = 'drf_imported_users'

export const LEFT_ALONE = {
  revoked: 'key revoked in Gatehouse: not brought back',
  removed: 'key removed by an earlier import (gone from the source): not brought back',
  deactivated: 'deactivated in Gatehouse: is_active kept',
  activated: 'activated in Gatehouse: is_active kept',
  deleted: 'deleted or renamed in Gatehouse: not re-created',
}

function tally(): Tally {
  return { seen: 0, imported: 0, updated: 0, unchanged: 0, skipped: 0, skippedReasons: {} }
}

/** An empty summary for a run from `source` (already redacted). */
export function newSummary(source: string, dryRun: boolean): DrfImportSummary {
  return {
    source,
    dryRun,
    users: tally(),
    tokens: { ...tally(), revoked: 0, withoutGetOrCreate: 0, notImported: null },
    passwordFormats: {},
    weakFormats: [],
    unverifiableFormats: [],
    leftAlone: {},
    mustResetPassword: { count: 0, examples: [] },
  }
}

export function note(into: Tally['skippedReasons'], reason: string, example: string) {
  const entry = (into[reason] ??= { count: 0, examples: [] })
  entry.count++
  if (entry.examples.length < EXAMPLES) entry.examples.push(example)
}

export function skip(into: Tally, reason: string, example: string) {
  into.skipped++
  note(into.skippedReasons, reason, example)
}

/** A boolean as either database hands it back. */
export function bool(value: unknown): boolean {
  return value === true || value === 1 || value === '1' || value === 't' || value === 'true'
}

/** Django stores aware datetimes in UTC (USE_TZ = True); SQLite hands them back as text. */
export function parseDate(value: unknown, zone: 'utc' | 'local'): DateTime | null {
  if (value === null || value === undefined || value === '') return null
  if (value instanceof Date) return DateTime.fromJSDate(value)
  const text = String(value)
  const parsed = DateTime.fromSQL(text, { zone })
  if (parsed.isValid) return parsed
  const iso = DateTime.fromISO(text, { zone })
  return iso.isValid ? iso : null
}

/** A timestamp from Django (or Gatehouse) as Gatehouse's database stores it, in local time. */
export function storedTime(value: DateTime | null): string | null {
  return value ? sqlTimestamp(value.setZone('local')) : null
}
