import { DateTime } from 'luxon'
import { BaseModel, column } from '@adonisjs/lucid/orm'

export type DeviceAuthorizationStatus = 'pending' | 'approved' | 'denied' | 'issued'

/** A device sign-in request (RFC 8628); see DeviceAuthorizationService. */
export default class DeviceAuthorization extends BaseModel {
  @column({ isPrimary: true })
  declare id: number

  @column({ serializeAs: null })
  declare deviceCodeHash: string

  @column({ serializeAs: null })
  declare userCodeHash: string

  /** Name of the token the tool asks for. */
  @column()
  declare name: string

  @column({
    prepare: (value: string[]) => JSON.stringify(value),
    consume: (value: string | string[]) => (typeof value === 'string' ? JSON.parse(value) : value),
  })
  declare abilities: string[]

  @column()
  declare status: DeviceAuthorizationStatus

  /** The person who approved or denied it. */
  @column()
  declare userId: number | null

  /** Seconds the tool must wait between polls; grows by 5 at each slow_down. */
  @column()
  declare interval: number

  @column.dateTime()
  declare lastPolledAt: DateTime | null

  @column.dateTime()
  declare expiresAt: DateTime

  @column.dateTime()
  declare decidedAt: DateTime | null

  @column.dateTime({ autoCreate: true })
  declare createdAt: DateTime

  get isExpired(): boolean {
    return this.expiresAt <= DateTime.now()
  }
}
