import type { HttpContext } from '@adonisjs/core/http'
import type { NextFn } from '@adonisjs/core/types/http'
import shieldConfig from '#config/shield'
import { shieldWith } from '#middleware/shield_factory'
import { CSP_HEADER, dropStaticCsp } from '#middleware/security_headers_middleware'

const shield = shieldWith(() => ({
  csp: shieldConfig.csp,
  csrf: { enabled: false },
  xFrame: { enabled: false },
  hsts: { enabled: false },
  contentTypeSniffing: { enabled: false },
}))

/**
 * Shield's Content-Security-Policy for the pages, with a per-response nonce
 * shared with the views (the copy-to-clipboard script carries it). Replaces
 * the static API policy set by the security headers middleware (removed
 * first: shield writes its policy on Node's response, and AdonisJS's own
 * headers are applied over Node's when the response is written).
 */
export default class PageCspMiddleware {
  handle(ctx: HttpContext, next: NextFn) {
    dropStaticCsp(ctx.response)
    ctx.response.removeHeader(CSP_HEADER)
    return shield(ctx, next)
  }
}
