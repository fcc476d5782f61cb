import type { ApplicationService } from '@adonisjs/core/types'

/**
 * Applies pending migrations when the web server starts (DB_AUTO_MIGRATE,
 * on by default outside production), so a fresh clone serves on first run.
 * Not when the app is only assembled ("warmup" mode: `node ace codegen`):
 * that process never shuts its providers down, so a connection would keep it alive.
 */
export default class AutoMigrateProvider {
  constructor(protected app: ApplicationService) {}

  async start() {
    if (this.app.getEnvironment() !== 'web' || this.app.getMode() !== 'run') return
    const { autoMigrate } = await import('#config/database')
    if (!autoMigrate) return

    const db = await this.app.container.make('lucid.db')
    const { MigrationRunner } = await import('@adonisjs/lucid/migration')
    const migrator = new MigrationRunner(db, this.app, { direction: 'up', dryRun: false })
    await migrator.run()
    if (migrator.error) throw migrator.error

    const applied = Object.values(migrator.migratedFiles).filter((f) => f.status === 'completed')
    if (applied.length > 0) {
      const logger = await this.app.container.make('logger')
      logger.info('applied %d migration(s)', applied.length)
    }
  }
}
