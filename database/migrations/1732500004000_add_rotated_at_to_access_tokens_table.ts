import { BaseSchema } from '@adonisjs/lucid/schema'

/**
 * rotated_at: when a token was rotated. Rotation is a conditional update on
 * `rotated_at IS NULL`, so exactly one rotation of a token can win, whatever
 * the database and however many requests race.
 */
export default class extends BaseSchema {
  protected tableName = 'auth_access_tokens'

  async up() {
    this.schema.alterTable(this.tableName, (table) => {
      table.timestamp('rotated_at', { useTz: true }).nullable()
    })
  }

  async down() {
    this.schema.alterTable(this.tableName, (table) => {
      table.dropColumn('rotated_at')
    })
  }
}
