import type { HttpContext } from '@adonisjs/core/http'
import type { NextFn } from '@adonisjs/core/types/http'
import type { ShieldConfig } from '@adonisjs/shield/types'
import { frameGuardFactory, hstsFactory, noSniffFactory } from '@adonisjs/shield/guards'
import shieldConfig from '#config/shield'
import { FixedHeaders, GatehouseResponse, setFixedHeaders } from '#services/server_response'

/** JSON needs no scripts, styles or frames: the strictest policy, no nonce. */
const STATIC_CSP = "default-src 'none'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'"

/** Replaced on the pages by shield's own policy with a nonce (#middleware/page_csp_middleware). */
export const CSP_HEADER = 'content-security-policy'

/**
 * Takes the API's static policy off a response that turned out to be an
 * HTML page without a page policy of its own (the 404 and 5xx pages of an
 * address no route matched: `default-src 'none'` would block their
 * stylesheet), or that gets a page policy (#middleware/page_csp_middleware).
 * A page route's nonce policy stays.
 */
export function dropStaticCsp(response: HttpContext['response']) {
  const res = response.response
  if (res instanceof GatehouseResponse) {
    if (res.fixedHeaders?.get(CSP_HEADER) === STATIC_CSP) {
      res.fixedHeaders = res.fixedHeaders.without(CSP_HEADER)
    }
    return
  }
  if (response.getHeader(CSP_HEADER) === STATIC_CSP) response.removeHeader(CSP_HEADER)
}

/** What a header-setting guard of shield's is called with, as far as it reads it. */
type HeaderGuard = (ctx: HttpContext) => void

/**
 * The headers shield's guards set, found once by running each guard on a
 * response that only records: X-Frame-Options, HSTS and nosniff depend on
 * config/shield.ts alone, never on the request. Names lower-cased (what
 * AdonisJS's response keeps them as).
 */
function headersOf(guards: HeaderGuard[]): Array<[string, string]> {
  const headers: Array<[string, string]> = []
  const recorder = {
    response: {
      header(name: string, value: unknown) {
        headers.push([name.toLowerCase(), String(value)])
      },
    },
  }
  for (const guard of guards) guard(recorder as unknown as HttpContext)
  return headers
}

/**
 * Shield's X-Frame-Options, HSTS and nosniff guards (config/shield.ts) plus
 * the API's static CSP, as one synchronous step:
 *
 * - shield's middleware awaits every one of its five guards (CSRF and CSP
 *   included, even when disabled) and then `next()`: six turns of the
 *   microtask queue on every request. Here `next()`'s answer is passed on as
 *   it is (~2% of `/health/live`'s instructions, callgrind);
 * - the headers never change, so they are a FixedHeaders set
 *   (app/services/server_response.ts): validated once, written as text by
 *   the app's server (~5k instructions a request less than through
 *   AdonisJS's response, where Node validated all four again on every
 *   answer). A response from another server (a test's HttpContextFactory)
 *   gets them through AdonisJS's response, none through Node's `setHeader`
 *   (one raw `setHeader` sends Node's `writeHead` down its slow path).
 */
export function securityHeaders(config: Partial<ShieldConfig>) {
  const headers = headersOf([
    frameGuardFactory(config.xFrame ?? { enabled: false }),
    hstsFactory(config.hsts ?? { enabled: false }),
    noSniffFactory(config.contentTypeSniffing ?? { enabled: false }),
  ])
  headers.unshift([CSP_HEADER, STATIC_CSP])
  const fixed = new FixedHeaders(headers)
  return (ctx: HttpContext) => {
    const { response } = ctx
    setFixedHeaders(response.response, fixed, (name, value) => response.header(name, value))
  }
}

const setHeaders = securityHeaders(shieldConfig)

/**
 * On every routed response, API included: a static CSP and shield's other
 * headers. Pages replace the CSP with one carrying a per-response nonce
 * (#middleware/page_csp_middleware); the API never pays for a nonce or a view
 * renderer, and no CSRF here (it needs a session: #middleware/csrf_middleware).
 */
export default class SecurityHeadersMiddleware {
  handle(ctx: HttpContext, next: NextFn) {
    setHeaders(ctx)
    return next()
  }
}
