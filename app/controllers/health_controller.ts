import type { HttpContext } from '@adonisjs/core/http'
import healthService from '#services/health_service'

/** Readiness: 200 when the database answers, 503 when it does not. Liveness: 200 while the process serves. */
export default class HealthController {
  live() {
    return { status: 'ok' }
  }

  async show({ response }: HttpContext) {
    const database = await healthService.checkDatabase()
    if (database.ok) {
      return { status: 'ok', database: 'up' }
    }
    return response
      .status(503)
      .header('Retry-After', '5')
      .send({ detail: 'The database is not answering.', status: 'unavailable', database: 'down' })
  }
}
