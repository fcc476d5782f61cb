import { DateTime } from 'luxon'
import { BaseModel, column } from '@adonisjs/lucid/orm'
import type { AuditActorType, AuditEventName } from '#services/audit_service'

/** One recorded event of the audit trail (written by AuditService, never updated). */
export default class AuditEvent extends BaseModel {
  static table = 'audit_events'

  /** bigint: PostgreSQL hands it back as a string. */
  @column({ isPrimary: true, consume: (value) => Number(value) })
  declare id: number

  @column.dateTime({ autoCreate: true })
  declare createdAt: DateTime

  @column()
  declare event: AuditEventName

  @column()
  declare actorType: AuditActorType

  @column()
  declare actorId: number | null

  @column()
  declare userId: number | null

  @column()
  declare tokenId: number | null

  @column()
  declare ip: string | null

  @column()
  declare userAgent: string | null

  @column({
    prepare: (value: Record<string, unknown> | null) => (value ? JSON.stringify(value) : null),
    consume: (value: string | Record<string, unknown> | null) =>
      typeof value === 'string' ? JSON.parse(value) : (value ?? {}),
  })
  declare data: Record<string, unknown>
}
