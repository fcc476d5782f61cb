import { BaseSchema } from '@adonisjs/lucid/schema'

/**
 * What `node ace drf:import` needs to respect decisions taken in Gatehouse:
 * - drf_imported_keys: the hash of every DRF key ever imported, kept after
 *   the token row is gone, so that a key revoked here (by any path) is
 *   recognised and never imported again;
 * - drf_imported_users: every username an import created or matched, so
 *   that a user deleted or renamed here is not created again;
 * - users.is_active_set_here: is_active was set in Gatehouse (created,
 *   activated or deactivated here), so an import leaves it as it is.
 */
export default class extends BaseSchema {
  async up() {
    this.schema.createTable('drf_imported_keys', (table) => {
      table.string('hash', 64).primary()
      /** true when the import itself removed the key (gone from the source) */
      table.boolean('removed_by_import').notNullable().defaultTo(false)
      table.timestamp('created_at', { useTz: true }).notNullable()
    })
    this.schema.createTable('drf_imported_users', (table) => {
      table.string('username', 150).primary()
      table.timestamp('created_at', { useTz: true }).notNullable()
    })
    this.schema.alterTable('users', (table) => {
      table.boolean('is_active_set_here').notNullable().defaultTo(false)
    })
    // Keys imported before this table existed; those already revoked cannot be recognised.
    this.defer(async (db) => {
      await db.rawQuery(
        `INSERT INTO drf_imported_keys (hash, removed_by_import, created_at)
         SELECT hash, ?, created_at FROM auth_access_tokens WHERE source = 'drf'`,
        [false]
      )
      // Users known to be imported: those holding an imported key.
      await db.rawQuery(
        `INSERT INTO drf_imported_users (username, created_at)
         SELECT username, created_at FROM users WHERE id IN
           (SELECT tokenable_id FROM auth_access_tokens WHERE source = 'drf')`
      )
    })
  }

  async down() {
    this.schema.alterTable('users', (table) => {
      table.dropColumn('is_active_set_here')
    })
    this.schema.dropTable('drf_imported_users')
    this.schema.dropTable('drf_imported_keys')
  }
}
