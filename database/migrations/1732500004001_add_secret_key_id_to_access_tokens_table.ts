import { BaseSchema } from '@adonisjs/lucid/schema'

/**
 * secret_key_id: fingerprint (a blind index, not the key) of the APP_KEY that
 * sealed a get-or-create token's encrypted_secret. After an APP_KEY change the
 * boot sweep finds the tokens sealed with another key through this index.
 */
export default class extends BaseSchema {
  protected tableName = 'auth_access_tokens'

  async up() {
    this.schema.alterTable(this.tableName, (table) => {
      table.string('secret_key_id', 64).nullable()
    })
    this.schema.raw(
      `CREATE INDEX auth_access_tokens_secret_key_id_index
       ON ${this.tableName} (secret_key_id)
       WHERE encrypted_secret IS NOT NULL`
    )
  }

  async down() {
    this.schema.raw('DROP INDEX auth_access_tokens_secret_key_id_index')
    this.schema.alterTable(this.tableName, (table) => {
      table.dropColumn('secret_key_id')
    })
  }
}
