import edge from 'edge.js'
import type { HttpContext } from '@adonisjs/core/http'
import type { NextFn } from '@adonisjs/core/types/http'
import encryption from '@adonisjs/core/services/encryption'
import { defineConfig } from '@adonisjs/shield'
import ShieldMiddleware from '@adonisjs/shield/shield_middleware'
import shieldConfig from '#config/shield'

/** JSON needs no scripts, styles or frames: the strictest policy, no nonce. */
const STATIC_CSP = "default-src 'none'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'"

/**
 * Shield's X-Frame-Options, HSTS (production) and nosniff on every routed
 * response, API included, plus a static CSP. Built once: shield compiles its
 * guards in the constructor. Pages replace the CSP with one carrying a
 * per-response nonce (#middleware/page_csp_middleware); the API never pays
 * for a nonce or a view renderer, and no CSRF here (it needs a session).
 */
let shield: ShieldMiddleware | undefined

export default class SecurityHeadersMiddleware {
  handle(ctx: HttpContext, next: NextFn) {
    shield ??= new ShieldMiddleware(
      defineConfig({ ...shieldConfig, csrf: { enabled: false }, csp: { enabled: false } }),
      encryption.use(),
      edge
    )
    // On the raw response, as shield's own CSP does, so the pages' policy replaces it.
    ctx.response.response.setHeader('Content-Security-Policy', STATIC_CSP)
    return shield.handle(ctx, next)
  }
}
