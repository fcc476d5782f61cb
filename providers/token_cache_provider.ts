import type { ApplicationService } from '@adonisjs/core/types'

/**
 * Web processes subscribe to token-cache invalidations (TOKEN_CACHE=redis).
 * Other processes (ace commands, tests) never serve from the cache; they
 * only publish invalidations when they revoke tokens or change users.
 */
export default class TokenCacheProvider {
  constructor(protected app: ApplicationService) {}

  async ready() {
    if (this.app.getEnvironment() !== 'web') return
    const { default: tokenCache } = await import('#services/token_cache')
    tokenCache.start()
  }
}
