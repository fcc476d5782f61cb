import type { ApplicationService } from '@adonisjs/core/types'

/**
 * Web processes (and the test process, which serves HTTP too) follow the
 * database's auth-change feed so their token cache can serve. Other
 * processes (ace commands) never serve from a cache: they only change rows,
 * and the database triggers tell everyone else.
 */
export default class TokenCacheProvider {
  constructor(protected app: ApplicationService) {}

  async ready() {
    if (!['web', 'test'].includes(this.app.getEnvironment())) return
    const { default: tokenCache } = await import('#services/token_cache')
    if (!tokenCache.config.enabled) return
    const { SqliteChangeLog, PgNotifications } = await import('#services/auth_changes')
    const db = await this.app.container.make('lucid.db')
    const logger = await this.app.container.make('logger')
    const { client, connection } = db.getRawConnection(db.primaryConnectionName)!.config as any

    if (client === 'better-sqlite3') {
      tokenCache.feed = new SqliteChangeLog(connection.filename, tokenCache, logger)
    } else if (client === 'pg') {
      const feed = new PgNotifications(connection, tokenCache, logger)
      tokenCache.feed = feed
      // This process's own writes go through knex: each statement is shown to the feed.
      const watched = new WeakSet<object>()
      const watch = (lucidConnection: { client?: any }) => {
        const knex = lucidConnection.client
        if (!knex || watched.has(knex)) return
        watched.add(knex)
        knex.on('query', (query: { sql: string }) => feed.observe(query.sql))
      }
      const emitter = await this.app.container.make('emitter')
      emitter.on('db:connection:connect', watch)
      const current = db.manager.get(db.primaryConnectionName)?.connection
      if (current) watch(current)
      feed.start()
    }
  }

  async shutdown() {
    const { default: tokenCache } = await import('#services/token_cache')
    await tokenCache.feed?.stop()
  }
}
