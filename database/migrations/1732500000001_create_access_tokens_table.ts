import { BaseSchema } from '@adonisjs/lucid/schema'

/**
 * The @adonisjs/auth access-tokens table, plus what Gatehouse needs:
 * - hash: SHA-256 of the whole key, unique; the authentication lookup.
 * - encrypted_secret: the key encrypted with APP_KEY, only for get-or-create
 *   tokens, so the same key can be returned again while the token is live.
 * - hint: the first characters of the key, to tell tokens apart in lists.
 * A partial unique index allows one get-or-create token per user and name.
 */
export default class extends BaseSchema {
  protected tableName = 'auth_access_tokens'

  async up() {
    this.schema.createTable(this.tableName, (table) => {
      table.increments('id').notNullable()
      table
        .integer('tokenable_id')
        .notNullable()
        .unsigned()
        .references('id')
        .inTable('users')
        .onDelete('CASCADE')
      table.string('type').notNullable()
      table.string('name').nullable()
      table.string('hash', 64).notNullable().unique()
      table.text('abilities').notNullable()
      table.text('encrypted_secret').nullable()
      table.string('hint', 16).nullable()
      table.timestamp('created_at', { useTz: true }).notNullable()
      table.timestamp('updated_at', { useTz: true }).notNullable()
      table.timestamp('last_used_at', { useTz: true }).nullable()
      table.timestamp('expires_at', { useTz: true }).nullable()

      table.index(['tokenable_id', 'type'], 'auth_access_tokens_tokenable_type_index')
      table.index(['expires_at'], 'auth_access_tokens_expires_at_index')
    })

    this.schema.raw(
      `CREATE UNIQUE INDEX auth_access_tokens_get_or_create_unique
       ON ${this.tableName} (tokenable_id, type, name)
       WHERE encrypted_secret IS NOT NULL`
    )
  }

  async down() {
    this.schema.dropTable(this.tableName)
  }
}
