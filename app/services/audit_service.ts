import { DateTime } from 'luxon'
import db from '@adonisjs/lucid/services/db'
import { type BatchDeleteOptions, deleteInBatches, sqlTimestamp } from '#services/sql'
import logger from '@adonisjs/core/services/logger'
import AuditEvent from '#models/audit_event'

/** Every event the trail knows. Names are stable: they are stored and served by the API. */
export const AUDIT_EVENTS = [
  'sign_in.succeeded',
  'sign_in.failed',
  'sign_in.throttled',
  'token.created',
  'token.obtained',
  'token.rotated',
  'token.revoked',
  'token.expired_refused',
  'token.revoked_leaked',
  'user.created',
  'user.activated',
  'user.deactivated',
  'user.staff_changed',
  'user.password_changed',
  'import.run',
] as const

export type AuditEventName = (typeof AUDIT_EVENTS)[number]
export type AuditActorType = 'user' | 'staff' | 'cli' | 'import' | 'system'

export interface AuditActor {
  type: AuditActorType
  id?: number | null
}

export interface AuditInput {
  event: AuditEventName
  actor: AuditActor
  /** The subject: whose credential or account the event is about. */
  userId?: number | null
  tokenId?: number | null
  ip?: string | null
  userAgent?: string | null
  /** Context (token name, hint, counts…). Secrets are dropped or redacted before storage. */
  data?: Record<string, unknown>
}

/** What a request contributes to an event; structural, so services never see HttpContext. */
export interface RequestLike {
  ip(): string
  header(name: string): string | null | undefined
}

export interface AuditQuery {
  userId?: number
  since?: DateTime
  event?: AuditEventName
  limit?: number
}

export interface AuditPruneOptions extends BatchDeleteOptions {
  olderThan: DateTime
}

const TABLE = AuditEvent.table
/** Data keys never stored, whatever a caller passes. */
const SECRET_KEY = /password|secret|^(keys?|value|hash|cookie|session(id)?|csrf|authorization)$/i
/** Anything shaped like a Gatehouse key or a DRF key, inside any stored string. */
const KEY_LIKE = /gth_[0-9A-Za-z]{8,}|\b[0-9a-f]{40}\b/g
/** Most expired-key refusals remembered per process before the memory starts over. */
const EXPIRED_MEMO_SIZE = 10_000

/** The fields of an event that come from a request: address and (truncated) user agent. */
export function fromRequest(request?: RequestLike | null) {
  if (!request) return { ip: null, userAgent: null }
  return { ip: request.ip() ?? null, userAgent: request.header('user-agent') ?? null }
}

/** A person acting on their own account or tokens, through a request. */
export function byUser(user: { id: number }, request?: RequestLike | null) {
  return {
    actor: { type: 'user', id: user.id } as AuditActor,
    userId: user.id,
    ...fromRequest(request),
  }
}

/** A staff member acting in the console on someone else's account or tokens. */
export function byStaff(staff: { id: number }, request?: RequestLike | null) {
  return { actor: { type: 'staff', id: staff.id } as AuditActor, ...fromRequest(request) }
}

/** The token an event is about: its id, and what tells it apart once it is gone (never its key). */
export function aboutToken(
  token: { id: number; name: string | null; hint: string | null; source?: string | null },
  extra: Record<string, unknown> = {}
) {
  return {
    tokenId: token.id,
    data: { name: token.name, hint: token.hint, source: token.source ?? undefined, ...extra },
  }
}

/** An operator at the command line. */
export const CLI_ACTOR: AuditActor = { type: 'cli' }

/**
 * The audit trail: who did what to which credential, when and from where.
 * Recording is one INSERT, done only where the action already writes (never
 * on an authenticated request's hot path), and a failure to record is logged
 * rather than failing the action it describes. Keys and passwords never get
 * in: secret-looking data keys are dropped and key-shaped strings redacted.
 */
export class AuditService {
  private expiredRecorded = new Set<number>()

  async record(input: AuditInput): Promise<void> {
    try {
      await db.insertQuery().table(TABLE).insert(this.row(input))
    } catch (error) {
      this.reportFailure(input.event, error)
    }
  }

  /**
   * An expired key was refused: recorded once per token (a per-process memory
   * in front of a partial unique index), so a client retrying an expired key
   * in a loop writes one row, not one per request.
   */
  async expiredRefused(tokenId: number, userId: number, request?: RequestLike | null) {
    if (this.expiredRecorded.has(tokenId)) return
    if (this.expiredRecorded.size >= EXPIRED_MEMO_SIZE) this.expiredRecorded.clear()
    this.expiredRecorded.add(tokenId)
    const row = this.row({
      event: 'token.expired_refused',
      actor: { type: 'system' },
      userId,
      tokenId,
      ...fromRequest(request),
    })
    try {
      await db.insertQuery().table(TABLE).insert(row).onConflict().ignore()
    } catch (error) {
      this.reportFailure('token.expired_refused', error)
    }
  }

  /** Forgets which expired refusals this process recorded (tests). */
  reset() {
    this.expiredRecorded.clear()
  }

  /** A user's events, newest first, one page at a time. */
  forUser(userId: number, page = 1, perPage = 50) {
    return AuditEvent.query()
      .where('user_id', userId)
      .orderBy('created_at', 'desc')
      .orderBy('id', 'desc')
      .paginate(page, perPage)
  }

  /** The latest events of one user (pages, console). */
  recentForUser(userId: number, limit = 10) {
    return AuditEvent.query()
      .where('user_id', userId)
      .orderBy('created_at', 'desc')
      .orderBy('id', 'desc')
      .limit(limit)
  }

  /** Events for operators, newest first. */
  list({ userId, since, event, limit = 100 }: AuditQuery = {}) {
    return AuditEvent.query()
      .if(userId !== undefined, (query) => query.where('user_id', userId!))
      .if(since !== undefined, (query) => query.where('created_at', '>=', sqlTimestamp(since!)))
      .if(event !== undefined, (query) => query.where('event', event!))
      .orderBy('created_at', 'desc')
      .orderBy('id', 'desc')
      .limit(limit)
  }

  async countOlderThan(olderThan: DateTime): Promise<number> {
    const row = await db
      .from(TABLE)
      .where('created_at', '<', sqlTimestamp(olderThan))
      .count('* as total')
      .first()
    return Number(row?.total ?? 0)
  }

  /** Deletes events older than `olderThan`, `batchSize` rows per statement. */
  prune({ olderThan, ...batches }: AuditPruneOptions): Promise<number> {
    const before = sqlTimestamp(olderThan)
    return deleteInBatches(TABLE, () => db.from(TABLE).where('created_at', '<', before), batches)
  }

  private row(input: AuditInput) {
    const data = input.data ? scrub(input.data, 0) : null
    return {
      created_at: sqlTimestamp(DateTime.now()),
      event: input.event,
      actor_type: input.actor.type,
      actor_id: input.actor.id ?? null,
      user_id: input.userId ?? null,
      token_id: input.tokenId ?? null,
      ip: input.ip ? input.ip.slice(0, 64) : null,
      user_agent: input.userAgent ? redact(input.userAgent).slice(0, 255) : null,
      data: data && Object.keys(data).length > 0 ? JSON.stringify(data) : null,
    }
  }

  /** The event name and the error's code only: the input may describe a credential. */
  private reportFailure(event: string, error: unknown) {
    const code = (error as { code?: string } | null)?.code ?? 'unknown'
    logger.error({ event, code }, 'audit: could not record an event')
  }
}

function redact(value: string) {
  return value.replace(KEY_LIKE, '[redacted]')
}

function scrub(data: Record<string, unknown>, depth: number): Record<string, unknown> {
  const clean: Record<string, unknown> = {}
  for (const [name, value] of Object.entries(data)) {
    if (SECRET_KEY.test(name) || value === undefined) continue
    if (typeof value === 'string') clean[name] = redact(value).slice(0, 500)
    else if (value && typeof value === 'object' && !Array.isArray(value)) {
      if (depth < 3) clean[name] = scrub(value as Record<string, unknown>, depth + 1)
    } else if (Array.isArray(value)) {
      clean[name] = value
        .slice(0, 50)
        .map((item) => (typeof item === 'string' ? redact(item).slice(0, 200) : item))
    } else clean[name] = value
  }
  return clean
}

export default new AuditService()
