import db from '@adonisjs/lucid/services/db'

/** Probes the database with a bounded wait, never throwing. */
export class HealthService {
  constructor(private timeoutMs = 2000) {}

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
