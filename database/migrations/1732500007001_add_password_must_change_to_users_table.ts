import { BaseSchema } from '@adonisjs/lucid/schema'

/** A temporary password set by staff: the user must choose a new one at the next sign-in. */
export default class extends BaseSchema {
  protected tableName = 'users'

  async up() {
    this.schema.alterTable(this.tableName, (table) => {
      table.boolean('password_must_change').notNullable().defaultTo(false)
    })
  }

  async down() {
    this.schema.alterTable(this.tableName, (table) => {
      table.dropColumn('password_must_change')
    })
  }
}
