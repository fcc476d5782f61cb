import { BaseSchema } from '@adonisjs/lucid/schema'

/**
 * The audit trail: one row per event that matters to a credential (sign-ins,
 * tokens issued and revoked, accounts changed, imports). No foreign keys: an
 * event outlives the user or token it names. A partial unique index keeps
 * "expired key refused" to one row per token.
 */
export default class extends BaseSchema {
  protected tableName = 'audit_events'

  async up() {
    this.schema.createTable(this.tableName, (table) => {
      table.bigIncrements('id').notNullable()
      table.timestamp('created_at', { useTz: true }).notNullable()
      table.string('event', 64).notNullable()
      table.string('actor_type', 16).notNullable()
      table.integer('actor_id').nullable()
      table.integer('user_id').nullable()
      table.integer('token_id').nullable()
      table.string('ip', 64).nullable()
      table.string('user_agent', 255).nullable()
      table.json('data').nullable()

      table.index(['user_id', 'created_at'], 'audit_events_user_created_index')
      table.index(['created_at'], 'audit_events_created_index')
    })

    this.schema.raw(
      `CREATE UNIQUE INDEX audit_events_expired_refused_unique
       ON ${this.tableName} (token_id)
       WHERE event = 'token.expired_refused'`
    )
  }

  async down() {
    this.schema.dropTable(this.tableName)
  }
}
