import { createHash, randomBytes } from 'node:crypto'
import { DateTime } from 'luxon'
import db from '@adonisjs/lucid/services/db'
import { sqlTimestamp } from '#services/sql'
import string from '@adonisjs/core/helpers/string'
import { sessionAge } from '#config/session'
import User from '#models/user'
import UserSession from '#models/user_session'

export interface SessionClient {
  ip?: string | null
  userAgent?: string | null
}

/** last_seen_at is written at most this often per session, not on every page. */
const LAST_SEEN_RESOLUTION_SECONDS = 60

function hashId(id: string) {
  return createHash('sha256').update(id).digest('hex')
}

/**
 * Server-side records of signed-in browsers, whatever the session store
 * (cookie, redis, memory). The session data carries a random id; the table
 * keeps its hash. Deleting a row signs out every copy of that session's
 * cookie at its next request.
 */
export class UserSessionService {
  /** Seconds of inactivity after which a session is over (the session cookie's age). */
  private idleSeconds = string.seconds.parse(sessionAge)

  /** Records a new signed-in browser; returns the id to keep in the session data. */
  async start(user: User, client: SessionClient = {}): Promise<string> {
    const id = randomBytes(32).toString('base64url')
    const now = DateTime.now()
    // Sessions idle past their age are over whatever their cookie says: forget them.
    await UserSession.query()
      .where('last_seen_at', '<', sqlTimestamp(now.minus({ seconds: this.idle() })))
      .delete()
    await UserSession.create({
      userId: user.id,
      idHash: hashId(id),
      ip: client.ip?.slice(0, 64) ?? null,
      userAgent: client.userAgent?.slice(0, 255) ?? null,
      createdAt: now,
      lastSeenAt: now,
    })
    return id
  }

  /**
   * The active user of a live session, in one query (session joined with its
   * user), or null when the record is gone or the user is inactive.
   */
  async resume(id: string, userId: number): Promise<User | null> {
    if (!Number.isSafeInteger(userId)) return null
    const row = await db
      .from('user_sessions as s')
      .join('users as u', 'u.id', 's.user_id')
      .where('s.id_hash', hashId(id))
      .where('s.user_id', userId)
      .select('u.*', 's.id as s_id', 's.last_seen_at as s_last_seen_at')
      .first()
    if (!row) return null

    const { s_id: sessionId, s_last_seen_at: lastSeen, ...userRow } = row
    const user = User.$createFromAdapterResult(userRow)!
    if (!user.isActive) return null

    const seen = UserSession.$createFromAdapterResult({ id: sessionId, last_seen_at: lastSeen })!
    const now = DateTime.now()
    const idle = now.diff(seen.lastSeenAt, 'seconds').seconds
    if (idle > this.idle()) return null
    if (idle >= LAST_SEEN_RESOLUTION_SECONDS) {
      await UserSession.query()
        .where('id', sessionId)
        .update({ last_seen_at: sqlTimestamp(now) })
    }
    return user
  }

  /** Ends one session (sign-out). */
  async end(id: string) {
    await UserSession.query().where('id_hash', hashId(id)).delete()
  }

  /** Ends every session of the user, except the one whose id is `except`; returns how many. */
  async endAll(user: User, options: { except?: string | null } = {}): Promise<number> {
    const deleted = await UserSession.query()
      .where('user_id', user.id)
      .if(options.except, (query) => query.whereNot('id_hash', hashId(options.except!)))
      .delete()
    return Number(Array.isArray(deleted) ? deleted[0] : deleted)
  }

  /** The user's signed-in browsers, most recently seen first; `current` marks this one. */
  async list(user: User, currentId?: string | null) {
    const currentHash = currentId ? hashId(currentId) : null
    const sessions = await UserSession.query()
      .where('user_id', user.id)
      .orderBy('last_seen_at', 'desc')
      .orderBy('id', 'desc')
    return sessions.map((session) => ({ session, current: session.idHash === currentHash }))
  }

  /** The session age plus the last_seen_at resolution (last_seen_at lags by up to that). */
  private idle() {
    return this.idleSeconds + LAST_SEEN_RESOLUTION_SECONDS
  }
}

export default new UserSessionService()
