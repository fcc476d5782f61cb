import { DateTime } from 'luxon'
import { BaseModel, belongsTo, column, scope } from '@adonisjs/lucid/orm'
import type { BelongsTo } from '@adonisjs/lucid/types/relations'
import User from '#models/user'

/** An opaque access token. Only its SHA-256 hash is stored; see TokenService. */
export default class AccessToken extends BaseModel {
  static table = 'auth_access_tokens'

  /**
   * The get-or-create slot: the retrievable token of a user (or of several
   * users), token type and name. At most one per user: a partial unique index.
   */
  static getOrCreateSlot = scope(
    (query, userIds: number | number[], type: string, name: string) => {
      query
        .whereIn('tokenable_id', Array.isArray(userIds) ? userIds : [userIds])
        .where('type', type)
        .where('name', name)
        .whereNotNull('encrypted_secret')
    }
  )

  @column({ isPrimary: true })
  declare id: number

  @column()
  declare tokenableId: number

  @column()
  declare type: string

  @column()
  declare name: string | null

  @column({ serializeAs: null })
  declare hash: string

  @column({
    prepare: (value: string[]) => JSON.stringify(value),
    consume: (value: string | string[]) => (typeof value === 'string' ? JSON.parse(value) : value),
  })
  declare abilities: string[]

  @column({ serializeAs: null })
  declare encryptedSecret: string | null

  @column()
  declare hint: string | null

  /** null for keys Gatehouse issued; "drf" for keys imported from Django REST Framework. */
  @column()
  declare source: string | null

  /** Fingerprint of the APP_KEY that sealed encryptedSecret (see the APP_KEY sweep). */
  @column({ serializeAs: null })
  declare secretKeyId: string | null

  /** Set once, by the one rotation of this token that succeeded. */
  @column.dateTime()
  declare rotatedAt: DateTime | null

  @column.dateTime({ autoCreate: true })
  declare createdAt: DateTime

  @column.dateTime({ autoCreate: true, autoUpdate: true })
  declare updatedAt: DateTime

  @column.dateTime()
  declare lastUsedAt: DateTime | null

  @column.dateTime()
  declare expiresAt: DateTime | null

  @belongsTo(() => User, { foreignKey: 'tokenableId' })
  declare user: BelongsTo<typeof User>

  /** Value is set only on the instance that created the token (shown once). */
  declare value?: string

  get isExpired(): boolean {
    return this.expiresAt !== null && this.expiresAt <= DateTime.now()
  }

  get status(): 'live' | 'expired' {
    return this.isExpired ? 'expired' : 'live'
  }

  /** A get-or-create token: the same key is handed out again while it is live. */
  get isRetrievable(): boolean {
    return this.encryptedSecret !== null
  }

  /** How lists, the CLI and pages describe where the token came from. */
  get sourceLabel(): string | null {
    return this.source === 'drf' ? 'imported from DRF' : null
  }

  allows(ability: string): boolean {
    return this.abilities.includes('*') || this.abilities.includes(ability)
  }

  /** Every one of `abilities` (what a route needs, or what a key made by this token would hold). */
  allowsAll(abilities: string[]): boolean {
    return abilities.every((ability) => this.allows(ability))
  }

  serializeExtras() {
    return { status: this.status }
  }
}
