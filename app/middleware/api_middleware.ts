import type { HttpContext } from '@adonisjs/core/http'
import type { NextFn } from '@adonisjs/core/types/http'
import { UnsupportedMediaTypeException } from '#exceptions/api_exceptions'

const PARSED_TYPES = ['json', 'urlencoded', 'multipart']

/**
 * For JSON API routes: the answer is JSON whatever Accept says, and a body
 * in a format the body parser does not read is refused with 415 instead of
 * being silently ignored.
 */
export default class ApiMiddleware {
  handle({ request }: HttpContext, next: NextFn) {
    request.request.headers.accept = 'application/json'

    if (request.hasBody() && request.header('content-length') !== '0') {
      const contentType = request.header('content-type')
      if (!contentType || !request.is(PARSED_TYPES)) {
        throw new UnsupportedMediaTypeException(contentType ?? '')
      }
    }
    return next()
  }
}
