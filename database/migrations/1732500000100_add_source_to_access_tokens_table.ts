import { BaseSchema } from '@adonisjs/lucid/schema'

/**
 * Where a token came from: null for keys Gatehouse issued, "drf" for keys
 * imported from Django REST Framework by `node ace drf:import`.
 */
export default class extends BaseSchema {
  protected tableName = 'auth_access_tokens'

  async up() {
    this.schema.alterTable(this.tableName, (table) => {
      table.string('source', 16).nullable()
    })
  }

  async down() {
    this.schema.alterTable(this.tableName, (table) => {
      table.dropColumn('source')
    })
  }
}
