import db from '@adonisjs/lucid/services/db'
import gracefulShutdown from '#services/graceful_shutdown'

/** Probes the database with a bounded wait, never throwing; knows when the process is stopping. */
export class HealthService {
  constructor(
    private timeoutMs = 2000,
    private shutdown = gracefulShutdown
  ) {}

  /** True once the process has begun its graceful shutdown: it should get no new traffic. */
  get draining() {
    return this.shutdown.draining
  }

  async checkDatabase(): Promise<{ ok: boolean }> {
    let timer: NodeJS.Timeout | undefined
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error('database probe timed out')), this.timeoutMs)
    })
    try {
      await Promise.race([db.rawQuery('select 1'), timeout])
      return { ok: true }
    } catch {
      return { ok: false }
    } finally {
      clearTimeout(timer)
    }
  }
}

export default new HealthService()
