import { BaseSchema } from '@adonisjs/lucid/schema'

/**
 * Device sign-in requests (RFC 8628). Both codes are stored as SHA-256
 * hashes only; user_id is set by the person who approves on /device.
 */
export default class extends BaseSchema {
  protected tableName = 'device_authorizations'

  async up() {
    this.schema.createTable(this.tableName, (table) => {
      table.increments('id').notNullable()
      table.string('device_code_hash', 64).notNullable().unique()
      table.string('user_code_hash', 64).notNullable().unique()
      table.string('name', 100).notNullable()
      table.text('abilities').notNullable()
      table.string('status', 16).notNullable().defaultTo('pending')
      table
        .integer('user_id')
        .unsigned()
        .nullable()
        .references('id')
        .inTable('users')
        .onDelete('CASCADE')
      table.integer('interval').notNullable()
      table.timestamp('last_polled_at', { useTz: true }).nullable()
      table.timestamp('expires_at', { useTz: true }).notNullable()
      table.timestamp('decided_at', { useTz: true }).nullable()
      table.timestamp('created_at', { useTz: true }).notNullable()
      table.index(['expires_at'])
    })
  }

  async down() {
    this.schema.dropTable(this.tableName)
  }
}
