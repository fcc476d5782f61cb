import type { HttpContext } from '@adonisjs/core/http'
import healthService from '#services/health_service'

/**
 * Readiness: 200 when the database answers, 503 when it does not or while the
 * process drains before stopping (so a load balancer sends it nothing new).
 * Liveness: 200 while the process serves, draining included.
 */
export default class HealthController {
  live() {
    return { status: 'ok' }
  }

  async show({ response }: HttpContext) {
    if (healthService.draining) {
      return response
        .status(503)
        .header('Retry-After', '5')
        .send({ detail: 'The server is shutting down.', status: 'draining' })
    }
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
