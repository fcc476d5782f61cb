import { Exception } from '@adonisjs/core/exceptions'
import type { HttpContext } from '@adonisjs/core/http'
import { addFixedHeader } from '#services/server_response'

/** The schemes a client may use, for WWW-Authenticate on every 401. */
export const WWW_AUTHENTICATE = 'Token realm="api", Bearer realm="api"'

/** The refusals made so far, one instance per message (DRF's messages: a handful). */
const refusals = new Map<string, TokenAuthenticationException>()
const MAX_REFUSALS = 32

/**
 * A 401 with one of DRF's TokenAuthentication messages as its detail. It is
 * an answer, not a fault (never logged), so it carries no stack trace, and
 * each message's exception is made once, frozen, and thrown again for every
 * request refused with it: refusing a bad key is as cheap as answering a
 * good one (capturing a stack trace per refusal was its largest cost).
 */
export class TokenAuthenticationException extends Exception {
  static status = 401
  static code = 'E_TOKEN_AUTHENTICATION'

  /** Its answer's body, written once: each refusal is made once and sent to every request it refuses. */
  #body = JSON.stringify({ detail: this.message })

  static because(detail: string): TokenAuthenticationException {
    const made = refusals.get(detail)
    if (made) return made
    const limit = Error.stackTraceLimit
    Error.stackTraceLimit = 0
    try {
      const refusal = new TokenAuthenticationException(detail)
      Object.freeze(refusal)
      if (refusals.size < MAX_REFUSALS) refusals.set(detail, refusal)
      return refusal
    } finally {
      Error.stackTraceLimit = limit
    }
  }

  static notProvided() {
    return TokenAuthenticationException.because('Authentication credentials were not provided.')
  }

  /**
   * DRF's answer: 401, WWW-Authenticate, `{"detail": …}` (the exception
   * handler's, too). The body is sent as JSON text, with the Content-Type an
   * object body would get unless one is set already (API routes set DRF's).
   */
  respond(response: HttpContext['response']) {
    // The same on every refusal: written with the security headers, made once.
    addFixedHeader(response.response, 'www-authenticate', WWW_AUTHENTICATE, (name, value) =>
      response.header(name, value)
    )
    if (response.getHeader('content-type') === undefined) {
      response.header('content-type', 'application/json; charset=utf-8')
    }
    response.status(401).send(this.#body)
  }
}

/** A valid token that lacks an ability the route needs (DRF's PermissionDenied). */
export class PermissionDeniedException extends Exception {
  static status = 403
  static code = 'E_PERMISSION_DENIED'
  static message = 'You do not have permission to perform this action.'
}

/** DRF's serializer errors: a 400 whose body is the field → messages map itself. */
export class FieldErrorsException extends Exception {
  static status = 400
  static code = 'E_FIELD_ERRORS'

  constructor(public fields: Record<string, string[]>) {
    super('Invalid input.')
  }
}

/** A body in a format the endpoint does not parse (DRF's UnsupportedMediaType). */
export class UnsupportedMediaTypeException extends Exception {
  static status = 415
  static code = 'E_UNSUPPORTED_MEDIA_TYPE'

  constructor(contentType: string) {
    super(`Unsupported media type "${contentType.slice(0, 100)}" in request.`)
  }
}

/** A resource that does not exist or is not the caller's. */
export class NotFoundException extends Exception {
  static status = 404
  static code = 'E_NOT_FOUND'
  static message = 'Not found.'
}

/** A request refused for now, not for what it is: 503 with Retry-After, never logged. */
export class ServiceUnavailableException extends Exception {
  static status = 503
  static code = 'E_SERVICE_UNAVAILABLE'

  constructor(
    message: string,
    public retryAfter = 5
  ) {
    super(message)
  }

  /** Sign-in refused because every password-hash slot and queue place is taken, or shutdown. */
  static signIn(reason: 'full' | 'closed') {
    return new ServiceUnavailableException(
      reason === 'full'
        ? 'Too many sign-in attempts are being checked right now. Try again in a few seconds.'
        : 'The server is restarting. Try again in a few seconds.'
    )
  }
}
