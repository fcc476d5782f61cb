import type { HttpContext } from '@adonisjs/core/http'
import audit from '#services/audit_service'
import { serializeEvent } from '#transformers/audit_event_transformer'
import { eventsPageValidator } from '#validators/token'

/** The caller's own audit trail, newest first, a page at a time. */
export default class EventsController {
  async index({ auth, request }: HttpContext) {
    const { page = 1, perPage = 50 } = await request.validateUsing(eventsPageValidator, {
      data: request.qs(),
    })
    const paginator = await audit.forUser(auth.getUserOrFail().id, page, perPage)
    paginator.baseUrl('/api/v1/events').queryString({ perPage })
    return { events: paginator.all().map(serializeEvent), meta: paginator.getMeta() }
  }
}
