import type { HttpContext } from '@adonisjs/core/http'
import type { NextFn } from '@adonisjs/core/types/http'
import router from '@adonisjs/core/services/router'
import type { Authenticators } from '@adonisjs/auth/types'
import { refusalAfterCheck } from '#middleware/auth_middleware'
import { TokenGuard } from '#guards/token_guard'
import { RequestAuthenticator } from '#guards/request_authenticator'
import { addFixedHeader } from '#services/server_response'
import {
  TokenAuthenticationException,
  UnsupportedMediaTypeException,
} from '#exceptions/api_exceptions'

const PARSED_TYPES = ['json', 'urlencoded', 'multipart']

/** DRF's JSONRenderer media type: it sends no charset parameter. */
export const API_CONTENT_TYPE = 'application/json'

/** Django's View.http_method_names order, which DRF's Allow header follows. */
const METHOD_ORDER = ['GET', 'POST', 'PUT', 'PATCH', 'DELETE', 'HEAD', 'OPTIONS']

/** What DRF's default parsers read (JSONParser, FormParser, MultiPartParser). */
const DEFAULT_PARSES = [
  'application/json',
  'application/x-www-form-urlencoded',
  'multipart/form-data',
]

/**
 * DRF's SimpleMetadata for rest_framework.authtoken.views.ObtainAuthToken
 * (OPTIONS /api-token-auth/): the class has no docstring, one renderer, its
 * own parser order, and AuthTokenSerializer's three CharFields.
 */
export const OBTAIN_AUTH_TOKEN_METADATA = {
  name: 'Obtain Auth Token',
  description: '',
  renders: ['application/json'],
  parses: ['application/x-www-form-urlencoded', 'multipart/form-data', 'application/json'],
  actions: {
    POST: {
      username: { type: 'string', required: true, read_only: false, label: 'Username' },
      password: { type: 'string', required: true, read_only: false, label: 'Password' },
      token: { type: 'string', required: false, read_only: true, label: 'Token' },
    },
  },
}

/** `GET, HEAD, OPTIONS` from ['GET', 'HEAD']: Django's order, OPTIONS always. */
export function allowHeader(methods: Iterable<string>) {
  const allowed = new Set(methods)
  return METHOD_ORDER.filter((method) => method === 'OPTIONS' || allowed.has(method)).join(', ')
}

let allowByPattern: Map<string, string> | undefined

/** The Allow header of an API route pattern, computed once for all routes. */
export function allowForPattern(pattern: string): string | undefined {
  if (!allowByPattern) {
    const methods = new Map<string, string[]>()
    for (const routes of Object.values(router.toJSON())) {
      for (const route of routes) {
        if (!route.pattern.startsWith('/api')) continue
        methods.set(route.pattern, [...(methods.get(route.pattern) ?? []), ...route.methods])
      }
    }
    allowByPattern = new Map([...methods].map(([key, list]) => [key, allowHeader(list)]))
  }
  return allowByPattern.get(pattern)
}

/**
 * The body of OPTIONS on an API path (DRF's SimpleMetadata shape). DRF's
 * endpoint gets DRF's exact answer; Gatehouse's own routes get a name from
 * their path (`/api/v1/tokens/:id/rotate` → "Tokens Rotate", a trailing
 * parameter → "… Instance") and no `actions`.
 */
export function optionsMetadata(route: { pattern: string; name?: string }) {
  if (route.name === 'drf.obtain') return OBTAIN_AUTH_TOKEN_METADATA
  const segments = route.pattern.replace(/^\/api\/v\d+\/?/, '').split('/')
  const words = segments
    .filter((segment) => segment !== '' && !segment.startsWith(':'))
    .flatMap((segment) => segment.split(/[-_]/))
    .map((word) => word.charAt(0).toUpperCase() + word.slice(1))
  if (segments.at(-1)?.startsWith(':')) words.push('Instance')
  return {
    name: words.join(' ') || 'Api Root',
    description: '',
    renders: ['application/json'],
    parses: DEFAULT_PARSES,
  }
}

/**
 * For JSON API routes: the answer is JSON whatever Accept says, with DRF's
 * headers (Content-Type without charset, Allow), and a body in a format the
 * body parser does not read is refused with 415 instead of being silently
 * ignored. With `auth`, the route also needs a user authenticated by that
 * guard (what the `auth` middleware does, without a second layer), and a
 * refused key is answered here.
 */
export default class ApiMiddleware {
  /**
   * Not `async` itself: an async function that returns `next()`'s promise
   * resolves its own promise with another one (two more turns of the
   * microtask queue and a `then` per request). A 415 thrown here reaches the
   * error handling as the framework's runner calls middleware from an async
   * function.
   */
  handle(ctx: HttpContext, next: NextFn, options: { auth?: keyof Authenticators } = {}) {
    const { request, response, route } = ctx
    request.request.headers.accept = 'application/json'
    response.header('content-type', API_CONTENT_TYPE)
    const allow = route && allowForPattern(route.pattern)
    // The same on every answer of the route: written with the security headers, made once.
    if (allow)
      addFixedHeader(response.response, 'allow', allow, (name, value) =>
        response.header(name, value)
      )

    if (request.hasBody() && request.header('content-length') !== '0') {
      const contentType = request.header('content-type')
      if (!contentType || !request.is(PARSED_TYPES)) {
        throw new UnsupportedMediaTypeException(contentType ?? '')
      }
    }
    if (!options.auth) return next()
    // An answer known without I/O (a cached key; no key, a malformed one, a bad checksum, a
    // cached refusal) is acted on here and now, without @adonisjs/auth's checkUsing and its two
    // async layers: an accepted key is recorded on ctx.auth at once (RequestAuthenticator) and
    // the route runs in the same turn; a refusal gets DRF's 401 (nothing reads ctx.auth after
    // it). The rest (a lookup) goes through checkUsing, which gets the guard's answer again
    // (its attempt runs once).
    const guard = ctx.auth.use(options.auth)
    if (guard instanceof TokenGuard) {
      const answer = guard.attempt()
      if (answer === true && ctx.auth instanceof RequestAuthenticator) {
        ctx.auth.accepted(options.auth)
        return next()
      }
      if (answer === false && guard.failure) return guard.failure.respond(ctx.response)
    }
    return this.#authenticated(ctx, next, options.auth)
  }

  /** What refusalFor() does, with one async layer less on every API request. */
  async #authenticated(ctx: HttpContext, next: NextFn, guard: keyof Authenticators) {
    const guards = [guard]
    // `return await`: the answer settles this promise directly (see handle()).
    if (await ctx.auth.checkUsing(guards)) return await next()
    const refusal = refusalAfterCheck(ctx, guards)
    // DRF's 401 written here: the same answer the exception handler gives, without a
    // throw through the framework's error path (~12 µs per refused key).
    if (refusal instanceof TokenAuthenticationException) return refusal.respond(ctx.response)
    throw refusal
  }
}
