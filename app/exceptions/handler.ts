import app from '@adonisjs/core/services/app'
import router from '@adonisjs/core/services/router'
import { errors as vineErrors } from '@vinejs/vine'
import { errors as authErrors } from '@adonisjs/auth'
import { errors as limiterErrors } from '@adonisjs/limiter'
import { type HttpContext, ExceptionHandler } from '@adonisjs/core/http'
import type { StatusPageRange, StatusPageRenderer } from '@adonisjs/core/types/http'
import { dropStaticCsp } from '#middleware/security_headers_middleware'
import {
  FieldErrorsException,
  ServiceUnavailableException,
  TokenAuthenticationException,
  WWW_AUTHENTICATE,
} from '#exceptions/api_exceptions'
import {
  API_CONTENT_TYPE,
  allowForPattern,
  allowHeader,
  optionsMetadata,
} from '#middleware/api_middleware'

const DATABASE_DOWN_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ENOTFOUND',
  '57P01', // admin_shutdown
  '57P03', // cannot_connect_now
  '08006', // connection_failure
  '08001', // sqlclient_unable_to_establish_sqlconnection
  'SQLITE_BUSY',
  'SQLITE_CANTOPEN',
])

const METHODS = ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS']

/** Requests answered with JSON errors: the API, DRF's endpoint and /health. */
export function isApiRequest(ctx: HttpContext) {
  const url = ctx.request.url()
  return url.startsWith('/api') || url.startsWith('/health')
}

/** Database unreachable (refused, timed out, shutting down, pool starved). */
export function isDatabaseUnavailable(error: unknown): boolean {
  const err = error as { code?: string; name?: string; message?: string } | null
  if (!err) return false
  if (err.code && DATABASE_DOWN_CODES.has(err.code)) return true
  if (err.name === 'KnexTimeoutError') return true
  return /Connection terminated|Knex: Timeout acquiring a connection/.test(err.message ?? '')
}

function isStackOverflow(error: unknown) {
  return error instanceof RangeError && error.message.includes('Maximum call stack size exceeded')
}

/**
 * One place decides the shape of every error: API requests always get JSON
 * `{"detail": …}` (DRF's shape, DRF's messages) and never a stack trace;
 * pages get friendly 404 and 5xx pages (5xx shows AdonisJS's debug page in
 * development only).
 */
export default class HttpExceptionHandler extends ExceptionHandler {
  protected debug = !app.inProduction
  /** Client errors are answered, not logged: a flood of them must not flood the logs. */
  protected ignoreStatuses = [400, 401, 403, 404, 405, 413, 415, 422, 429]
  /** Refusals under load or during shutdown: answered, not logged, for the same reason. */
  protected ignoreCodes = ['E_SERVICE_UNAVAILABLE']
  protected renderStatusPages = true
  protected statusPages: Record<StatusPageRange, StatusPageRenderer> = {
    '404': (_, { view, response }) => {
      dropStaticCsp(response)
      return view.render('pages/errors/not_found')
    },
    ...(app.inDev
      ? {}
      : {
          '500..599': (error, { view, response }) => {
            dropStaticCsp(response)
            return view.render('pages/errors/server_error', { status: error.status })
          },
        }),
  }

  async handle(error: unknown, ctx: HttpContext) {
    if (!isApiRequest(ctx)) return super.handle(error, ctx)
    if (ctx.request.url().startsWith('/api')) {
      // DRF's headers on every answer, errors raised before ApiMiddleware ran included.
      ctx.response.header('content-type', API_CONTENT_TYPE)
      // The body parser runs before routing (start/kernel.ts): its 400/413/415 have no ctx.route.
      const route = ctx.route ?? router.match(ctx.request.url(), ctx.request.method(), false)?.route
      const allow = route && allowForPattern(route.pattern)
      if (allow) ctx.response.header('allow', allow)
    }
    if (error instanceof TokenAuthenticationException) return error.respond(ctx.response)
    const { status, body, headers } = this.toApiResponse(error, ctx)
    for (const [name, value] of Object.entries(headers)) ctx.response.header(name, value)
    return ctx.response.status(status).send(body)
  }

  async report(error: unknown, ctx: HttpContext) {
    if (isApiRequest(ctx) && isStackOverflow(error) && ctx.request.hasBody()) return
    return super.report(error, ctx)
  }

  private toApiResponse(error: unknown, ctx: HttpContext) {
    const headers: Record<string, string> = {}
    const err = error as { status?: number; code?: string; message?: string; messages?: any }

    if (error instanceof authErrors.E_UNAUTHORIZED_ACCESS) {
      headers['WWW-Authenticate'] = WWW_AUTHENTICATE
      return {
        status: 401,
        body: { detail: 'Authentication credentials were not provided.' },
        headers,
      }
    }
    if (error instanceof limiterErrors.E_TOO_MANY_REQUESTS) {
      Object.assign(headers, error.getDefaultHeaders())
      return { status: 429, body: { detail: error.message }, headers }
    }
    if (error instanceof FieldErrorsException) {
      return { status: 400, body: error.fields, headers }
    }
    if (error instanceof ServiceUnavailableException) {
      headers['Retry-After'] = String(error.retryAfter)
      return { status: 503, body: { detail: error.message }, headers }
    }
    if (error instanceof vineErrors.E_VALIDATION_ERROR) {
      const messages = error.messages as { field: string; message: string }[]
      const errors: Record<string, string[]> = {}
      for (const { field, message } of messages) (errors[field] ??= []).push(message)
      return {
        status: 422,
        body: { detail: messages.map((m) => m.message).join(' '), errors },
        headers,
      }
    }
    if (err?.code === 'E_ROUTE_NOT_FOUND') {
      const allowed = this.allowedMethods(ctx)
      if (allowed.length > 0) {
        headers['Allow'] = allowHeader(allowed.map(({ method }) => method))
        // No route answers OPTIONS: DRF's APIView.options, for any path that exists.
        if (ctx.request.method() === 'OPTIONS' && ctx.request.url().startsWith('/api')) {
          return { status: 200, body: optionsMetadata(allowed[0].route), headers }
        }
        return {
          status: 405,
          body: { detail: `Method "${ctx.request.method()}" not allowed.` },
          headers,
        }
      }
      return { status: 404, body: { detail: 'Not found.' }, headers }
    }
    if (isStackOverflow(error) && ctx.request.hasBody()) {
      // A body nested deep enough to exhaust the stack while it is parsed or
      // copied (JSON.parse survives ~5000 levels, the body parser's deep
      // clone fewer): the client's input, not a server fault.
      return {
        status: 400,
        body: { detail: 'JSON parse error - the body is nested too deeply.' },
        headers,
      }
    }
    if (err?.status === 400 && error instanceof SyntaxError) {
      return { status: 400, body: { detail: `JSON parse error - ${error.message}` }, headers }
    }
    if (err?.status === 422 && err.message?.startsWith('Invalid JSON')) {
      return {
        status: 400,
        body: { detail: 'JSON parse error - the body must be a JSON object.' },
        headers,
      }
    }
    if (err?.status === 413) {
      return { status: 413, body: { detail: 'Request body is too large.' }, headers }
    }
    if (typeof err?.status === 'number' && err.status >= 400 && err.status < 500) {
      return { status: err.status, body: { detail: err.message ?? 'Bad request.' }, headers }
    }
    if (isDatabaseUnavailable(error)) {
      headers['Retry-After'] = '5'
      return {
        status: 503,
        body: { detail: 'Service temporarily unavailable: the database is not answering.' },
        headers,
      }
    }
    return { status: 500, body: { detail: 'A server error occurred.' }, headers }
  }

  private allowedMethods(ctx: HttpContext) {
    const url = ctx.request.url()
    return METHODS.flatMap((method) => {
      const match = router.match(url, method, false)
      return match ? [{ method, route: match.route }] : []
    })
  }
}
