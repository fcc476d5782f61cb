import { DateTime } from 'luxon'
import db from '@adonisjs/lucid/services/db'
import type { TransactionClientContract } from '@adonisjs/lucid/types/database'
import encryption from '@adonisjs/core/services/encryption'
import logger from '@adonisjs/core/services/logger'
import gatehouse from '#config/gatehouse'
import AccessToken from '#models/access_token'
import type User from '#models/user'
import { generateKey } from '#services/token_key'
import { configuredSeconds, durationSeconds } from '#services/duration'
import { sqlTimestamp } from '#services/sql'
import { EXPIRES_IN_PATTERN } from '#validators/rules'
import { TokenLimitException } from '#exceptions/token_limit_exception'

/** Purpose bound to encrypted get-or-create keys (also used by the DRF importer). */
export const ENCRYPTION_PURPOSE = 'gatehouse-token'
/** Purpose of the APP_KEY fingerprint stored next to each encrypted secret. */
export const KEY_ID_PURPOSE = 'gatehouse-token-key-id'

/**
 * Fingerprint of the APP_KEY that encrypts secrets now: a blind index (HMAC
 * derived from the key), so it tells keys apart without revealing them.
 */
export function currentKeyId(encrypter: typeof encryption = encryption) {
  return encrypter.blindIndex('app-key', KEY_ID_PURPOSE)
}

/** The columns that keep a get-or-create key retrievable. */
export function sealSecret(value: string) {
  return {
    encryptedSecret: encryption.encrypt(value, { purpose: ENCRYPTION_PURPOSE }),
    secretKeyId: currentKeyId(),
  }
}

const TABLE = AccessToken.table

export interface NewTokenFields {
  userId: number
  type: string
  name: string | null
  key: { value: string; hash: string; hint: string }
  abilities: string[]
  /** Keep the key encrypted so get-or-create can hand it out again. */
  retrievable: boolean
  expiresAt: DateTime | null
}

/** The attributes of a new token row, whoever issues it (create, get-or-create, rotate). */
export function newTokenAttributes(fields: NewTokenFields) {
  return {
    tokenableId: fields.userId,
    type: fields.type,
    name: fields.name,
    hash: fields.key.hash,
    hint: fields.key.hint,
    abilities: fields.abilities,
    ...(fields.retrievable ? sealSecret(fields.key.value) : {}),
    expiresAt: fields.expiresAt,
    lastUsedAt: null,
  }
}

export interface TokenOptions {
  name?: string
  abilities?: string[]
  /** "30d", "12h", … ; null = never expires; undefined = the configured default. */
  expiresIn?: string | null
  /**
   * The token that makes the request, when a token does (the API): the new
   * token never expires later than it. Pages and the CLI pass none.
   */
  issuedBy?: AccessToken | null
}

export interface IssuedToken {
  token: AccessToken
  /** The plaintext key. Shown to its owner once (or again, for get-or-create). */
  value: string
  created: boolean
  /** The expiry asked for was lowered to the expiry of `issuedBy`. */
  expiryCapped: boolean
}

export class InvalidExpiryError extends Error {}

export type RotationResult =
  | { ok: true; successor: IssuedToken; previous: AccessToken }
  | { ok: false; reason: 'not_found' | 'expired' | 'already_rotated' | 'conflict' }

function isUniqueViolation(error: unknown): boolean {
  const code = (error as { code?: string } | null)?.code
  return code === '23505' || code === 'SQLITE_CONSTRAINT_UNIQUE'
}

/** The token lifecycle: issues, finds, rotates and revokes (verifying: TokenAuthenticator). */
export class TokenService {
  constructor(private config = gatehouse.tokens) {}

  expiresAt(expiresIn: string | null | undefined): DateTime | null {
    const value = expiresIn === undefined ? this.config.expiresIn : expiresIn
    if (value === null || value === 'never') return null
    if (!EXPIRES_IN_PATTERN.test(value)) {
      throw new InvalidExpiryError(
        `Invalid expiry "${value}": use a number and a unit (s, m, h, d, w), e.g. 30d, or "never".`
      )
    }
    return DateTime.now().plus({ seconds: durationSeconds(value) })
  }

  /** An expiry no later than the issuing token's own (see TokenOptions.issuedBy). */
  cappedExpiresAt(expiresIn: string | null | undefined, issuedBy?: AccessToken | null) {
    const requested = this.expiresAt(expiresIn)
    const limit = issuedBy?.expiresAt ?? null
    if (limit && (requested === null || requested > limit)) {
      return { expiresAt: limit, expiryCapped: true }
    }
    return { expiresAt: requested, expiryCapped: false }
  }

  /**
   * Creates a new token, refused with TokenLimitException when the user
   * already holds maxPerUser live tokens (counted under a lock on the user's
   * row, so parallel requests cannot overshoot). Retrievable tokens keep
   * their key encrypted for get-or-create.
   */
  async create(
    user: User,
    options: TokenOptions & { retrievable?: boolean } = {}
  ): Promise<IssuedToken> {
    const { expiresAt, expiryCapped } = this.cappedExpiresAt(options.expiresIn, options.issuedBy)
    const key = generateKey(this.config.prefix)
    const token = await db.transaction(async (trx) => {
      await this.assertBelowLimit(user, trx)
      return AccessToken.create(
        newTokenAttributes({
          userId: user.id,
          type: this.config.type,
          name: options.name ?? this.config.defaultName,
          key,
          abilities: options.abilities ?? ['*'],
          retrievable: options.retrievable ?? false,
          expiresAt,
        }),
        { client: trx }
      )
    })
    token.value = key.value
    return { token, value: key.value, created: true, expiryCapped }
  }

  /** Live tokens (no expiry, or not yet expired) count; expired ones do not. */
  private async assertBelowLimit(user: User, trx: TransactionClientContract) {
    if (trx.dialect.name === 'postgres') {
      // Serialises token creation per user: the count below stays true until commit.
      await trx.from('users').where('id', user.id).forUpdate().select('id')
    }
    const [{ total }] = await trx
      .from(TABLE)
      .where('tokenable_id', user.id)
      .where('type', this.config.type)
      .where((query) =>
        query.whereNull('expires_at').orWhere('expires_at', '>', sqlTimestamp(DateTime.now()))
      )
      .count('* as total')
    if (Number(total) >= this.config.maxPerUser) {
      throw new TokenLimitException(this.config.maxPerUser)
    }
  }

  /**
   * DRF's Token.objects.get_or_create(user=user), per token name: the same key
   * while the token is live, a new one after revocation or expiry. Concurrent
   * calls converge on one token through a partial unique index.
   */
  async getOrCreate(user: User, options: TokenOptions = {}): Promise<IssuedToken> {
    const name = options.name ?? this.config.defaultName
    for (let attempt = 0; attempt < 5; attempt++) {
      const existing = await AccessToken.query()
        .withScopes((scopes) => scopes.getOrCreateSlot(user.id, this.config.type, name))
        .first()

      if (existing) {
        const value = existing.isExpired
          ? null
          : encryption.decrypt<string>(existing.encryptedSecret!, ENCRYPTION_PURPOSE)
        if (value) {
          existing.value = value
          return { token: existing, value, created: false, expiryCapped: false }
        }
        // Expired, or sealed with an APP_KEY that is gone (its key must stop
        // working too): keep it as a plain expired token in the history and
        // free the name for a new one.
        const now = sqlTimestamp(DateTime.now())
        await AccessToken.query()
          .where('id', existing.id)
          .update({
            encrypted_secret: null,
            updated_at: now,
            ...(existing.isExpired ? {} : { expires_at: now }),
          })
        if (!existing.isExpired) {
          logger.warn(
            'get-or-create token %d could not be decrypted with the current APP_KEY: expired',
            existing.id
          )
        }
      }

      try {
        return await this.create(user, { ...options, name, retrievable: true })
      } catch (error) {
        if (!isUniqueViolation(error)) throw error
      }
    }
    throw new Error('Could not get or create a token: too much contention for one user and name')
  }

  /**
   * drf_create_token -r: revokes the user's get-or-create token of that name
   * (if any) and gets-or-creates a new one.
   */
  async regenerate(user: User, options: TokenOptions = {}): Promise<IssuedToken> {
    const name = options.name ?? this.config.defaultName
    // Validate before deleting, so a bad expiry leaves the old token in place.
    this.expiresAt(options.expiresIn)
    await AccessToken.query()
      .withScopes((scopes) => scopes.getOrCreateSlot(user.id, this.config.type, name))
      .delete()
    return this.getOrCreate(user, { ...options, name })
  }

  async list(user: User) {
    return AccessToken.query()
      .where('tokenable_id', user.id)
      .where('type', this.config.type)
      .orderBy('created_at', 'desc')
      .orderBy('id', 'desc')
  }

  async find(user: User, id: number) {
    return AccessToken.query()
      .where('id', id)
      .where('tokenable_id', user.id)
      .where('type', this.config.type)
      .first()
  }

  /**
   * Issues a successor to one of the user's live tokens (same name and
   * abilities, a new key) and lets the old key expire after the grace period,
   * so requests already in flight with it still succeed. A token is rotated
   * once: the conditional update on rotated_at lets exactly one of any number
   * of concurrent or later attempts win; the others get "already_rotated".
   * The successor gets the old token's lifetime counted from now, but never
   * expires later than `issuedBy` (a token rotating itself keeps its expiry).
   * A get-or-create token hands its role to the successor: login returns the
   * new key from now on. Not counted against maxPerUser: it replaces a token.
   */
  async rotate(
    user: User,
    id: number,
    grace = this.config.rotationGrace,
    issuedBy?: AccessToken | null
  ): Promise<RotationResult> {
    const graceSeconds = configuredSeconds(grace)
    try {
      const result = await db.transaction(async (trx) => {
        const previous = await AccessToken.query({ client: trx })
          .where('id', id)
          .where('tokenable_id', user.id)
          .where('type', this.config.type)
          .first()
        if (!previous) return { ok: false, reason: 'not_found' } as const
        if (previous.rotatedAt) return { ok: false, reason: 'already_rotated' } as const
        if (previous.isExpired) return { ok: false, reason: 'expired' } as const

        const now = DateTime.now()
        const graceEnd = now.plus({ seconds: graceSeconds })
        const retrievable = previous.isRetrievable
        const updated = await trx
          .from(TABLE)
          .where('id', previous.id)
          .whereNull('rotated_at')
          .update({
            rotated_at: sqlTimestamp(now),
            encrypted_secret: null,
            expires_at: sqlTimestamp(
              previous.expiresAt && previous.expiresAt < graceEnd ? previous.expiresAt : graceEnd
            ),
            updated_at: sqlTimestamp(now),
          })
        if (Number(updated) === 0) return { ok: false, reason: 'already_rotated' } as const

        const lifetime = previous.expiresAt?.diff(previous.createdAt)
        const fullTerm = lifetime ? now.plus(lifetime) : null
        const limit = issuedBy?.expiresAt ?? null
        const expiryCapped = limit !== null && (fullTerm === null || fullTerm > limit)
        const expiresAt = expiryCapped ? limit : fullTerm

        const key = generateKey(this.config.prefix)
        const token = await AccessToken.create(
          newTokenAttributes({
            userId: user.id,
            type: this.config.type,
            name: previous.name,
            key,
            abilities: previous.abilities,
            retrievable,
            expiresAt,
          }),
          { client: trx }
        )
        token.value = key.value
        await previous.refresh()
        return {
          ok: true,
          successor: { token, value: key.value, created: true, expiryCapped },
          previous,
        } as const
      })
      return result
    } catch (error) {
      if (isUniqueViolation(error)) return { ok: false, reason: 'conflict' }
      throw error
    }
  }

  /** Revokes one of the user's tokens; false when it is not theirs or not there. */
  async revoke(user: User, id: number): Promise<boolean> {
    const deleted = await db
      .from(TABLE)
      .where('id', id)
      .where('tokenable_id', user.id)
      .where('type', this.config.type)
      .delete()
    return Number(deleted) > 0
  }

  async revokeAll(user: User): Promise<number> {
    const deleted = await db
      .from(TABLE)
      .where('tokenable_id', user.id)
      .where('type', this.config.type)
      .delete()
    return Number(deleted)
  }
}

export default new TokenService()
