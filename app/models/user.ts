import { DateTime } from 'luxon'
import hash from '@adonisjs/core/services/hash'
import { compose } from '@adonisjs/core/helpers'
import { BaseModel, beforeSave, column, hasMany } from '@adonisjs/lucid/orm'
import type { HasMany } from '@adonisjs/lucid/types/relations'
import { withAuthFinder } from '@adonisjs/auth/mixins/lucid'
import AccessToken from '#models/access_token'

const AuthFinder = withAuthFinder(() => hash.use('scrypt'), {
  uids: ['username', 'email'],
  passwordColumnName: 'password',
})

/** Where a user instance keeps its current access token, or what builds it (in `$extras`). */
const CURRENT_TOKEN = Symbol('currentAccessToken')

type TokenSlot = { [CURRENT_TOKEN]?: AccessToken | (() => AccessToken) }

/** A person or client who can sign in and hold tokens (Django's auth.User). */
export default class User extends compose(BaseModel, AuthFinder) {
  @column({ isPrimary: true })
  declare id: number

  @column()
  declare username: string

  @column()
  declare email: string | null

  @column({ serializeAs: null })
  declare password: string

  @column({ consume: Boolean })
  declare isActive: boolean

  @column({ consume: Boolean })
  declare isStaff: boolean

  @column({ consume: Boolean })
  declare isSuperuser: boolean

  /** is_active was decided in Gatehouse: `node ace drf:import` leaves it alone. */
  @column({ consume: Boolean, serializeAs: null })
  declare isActiveSetHere: boolean

  @column.dateTime()
  declare lastLoginAt: DateTime | null

  /** A temporary password set by staff: pages only to change it, no API token until then. */
  @column({ consume: Boolean })
  declare passwordMustChange: boolean

  @column.dateTime({ autoCreate: true })
  declare createdAt: DateTime

  @column.dateTime({ autoCreate: true, autoUpdate: true })
  declare updatedAt: DateTime | null

  @hasMany(() => AccessToken, { foreignKey: 'tokenableId' })
  declare tokens: HasMany<typeof AccessToken>

  /**
   * The token of the request that authenticated with one (set by the token
   * guard). The authenticator may attach it as a function that builds it on
   * first read (most requests never read it). Kept under a symbol in
   * `$extras`, Lucid's per-instance bag that is never saved or serialized:
   * one read through Lucid's proxy, no write through its traps.
   */
  get currentAccessToken(): AccessToken | undefined {
    const slot = this.$extras as TokenSlot
    const attached = slot[CURRENT_TOKEN]
    if (typeof attached !== 'function') return attached
    return (slot[CURRENT_TOKEN] = attached())
  }

  set currentAccessToken(token: AccessToken | undefined) {
    ;(this.$extras as TokenSlot)[CURRENT_TOKEN] = token
  }

  /** Attaches the request's token, built when first read. */
  static attachAccessToken(user: User, build: () => AccessToken) {
    Object.assign(user.$extras, User.accessTokenExtras(build))
  }

  /** What attachAccessToken() puts in `$extras`, for a model being built (see revive()). */
  static accessTokenExtras(build: () => AccessToken): TokenSlot {
    return { [CURRENT_TOKEN]: build }
  }

  /** The hasher that understands a stored hash: Django's formats (imported users) or scrypt. */
  static hasherFor(storedHash: string) {
    const django = hash.use('django')
    return django.isValidHash(storedHash) ? django : hash.use('scrypt')
  }

  /** Verifies through the hasher of the stored format (used by verifyCredentials). */
  verifyPassword(plainPassword: string) {
    return User.hasherFor(this.password).verify(this.password, plainPassword)
  }

  /** True while the stored hash is not Gatehouse's current scrypt (e.g. imported from Django). */
  get passwordNeedsReHash(): boolean {
    return User.hasherFor(this.password).needsReHash(this.password)
  }

  /** drf:import writes with raw queries, so every model save is a decision taken here. */
  @beforeSave()
  static markActiveSetHere(user: User) {
    if (!user.$isPersisted || user.$dirty.isActive !== undefined) user.isActiveSetHere = true
  }
}
