import type { HttpContext } from '@adonisjs/core/http'
import type { NextFn } from '@adonisjs/core/types/http'
import shieldConfig from '#config/shield'
import { shieldWith } from '#middleware/shield_factory'

/** JSON needs no scripts, styles or frames: the strictest policy, no nonce. */
const STATIC_CSP = "default-src 'none'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'"

/**
 * Shield's X-Frame-Options, HSTS (production) and nosniff on every routed
 * response, API included, plus a static CSP. Pages replace the CSP with one
 * carrying a per-response nonce (#middleware/page_csp_middleware); the API
 * never pays for a nonce or a view renderer, and no CSRF here (it needs a session).
 */
const shield = shieldWith(() => ({
  ...shieldConfig,
  csrf: { enabled: false },
  csp: { enabled: false },
}))

export default class SecurityHeadersMiddleware {
  handle(ctx: HttpContext, next: NextFn) {
    // On the raw response, as shield's own CSP does, so the pages' policy replaces it.
    ctx.response.response.setHeader('Content-Security-Policy', STATIC_CSP)
    return shield(ctx, next)
  }
}
