import type { ApplicationService } from '@adonisjs/core/types'

/**
 * Web processes expire, before they serve, the get-or-create tokens sealed
 * with an APP_KEY that is gone (see AppKeySweepService). A failure (database
 * down at boot) is logged and does not stop the server. Skipped when the app
 * is only assembled ("warmup" mode, e.g. `node ace codegen`), which serves nothing.
 */
export default class AppKeySweepProvider {
  constructor(protected app: ApplicationService) {}

  async start() {
    if (this.app.getEnvironment() !== 'web' || this.app.getMode() !== 'run') return
    const { default: sweep } = await import('#services/app_key_sweep_service')
    try {
      await sweep.run()
    } catch (error) {
      const logger = await this.app.container.make('logger')
      logger.error(
        { err: error },
        'APP_KEY sweep failed: keys sealed with an old APP_KEY may still work'
      )
    }
  }
}
