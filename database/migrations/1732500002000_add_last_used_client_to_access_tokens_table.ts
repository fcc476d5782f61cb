import { BaseSchema } from '@adonisjs/lucid/schema'

/**
 * Where a token was last used from, written with last_used_at (at most once
 * per TOKEN_LAST_USED_RESOLUTION): the client's IP address and its
 * User-Agent, truncated to 200 characters.
 */
export default class extends BaseSchema {
  protected tableName = 'auth_access_tokens'

  async up() {
    this.schema.alterTable(this.tableName, (table) => {
      table.string('last_used_ip', 45).nullable()
      table.string('last_used_agent', 200).nullable()
    })
  }

  async down() {
    this.schema.alterTable(this.tableName, (table) => {
      table.dropColumn('last_used_ip')
      table.dropColumn('last_used_agent')
    })
  }
}
