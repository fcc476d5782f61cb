import type { HttpContext } from '@adonisjs/core/http'
import metricsAccess from '#services/metrics_access'
import { scrape } from '#services/metrics'
import { NotFoundException } from '#exceptions/api_exceptions'

/** GET /metrics for Prometheus; 404 (like any unknown page) for callers not allowed. */
export default class MetricsController {
  async show({ request, response }: HttpContext) {
    if (!metricsAccess.allows(request.ip(), request.header('authorization'))) {
      throw new NotFoundException()
    }
    const { contentType, text } = await scrape()
    return response
      .header('Content-Type', contentType)
      .header('Cache-Control', 'no-store')
      .send(text)
  }
}
