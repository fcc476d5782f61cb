import { BaseSchema } from '@adonisjs/lucid/schema'

/**
 * One row per signed-in browser. The session data holds a random id; only
 * its SHA-256 is stored here, and a page request is accepted only while its
 * row exists: deleting rows signs browsers out whatever the session store.
 */
export default class extends BaseSchema {
  protected tableName = 'user_sessions'

  async up() {
    this.schema.createTable(this.tableName, (table) => {
      table.increments('id').notNullable()
      table
        .integer('user_id')
        .unsigned()
        .notNullable()
        .references('id')
        .inTable('users')
        .onDelete('CASCADE')
      table.string('id_hash', 64).notNullable().unique()
      table.string('ip', 64).nullable()
      table.string('user_agent', 255).nullable()
      table.timestamp('created_at', { useTz: true }).notNullable()
      table.timestamp('last_seen_at', { useTz: true }).notNullable()
      table.index(['user_id'])
      table.index(['last_seen_at'])
    })
  }

  async down() {
    this.schema.dropTable(this.tableName)
  }
}
