import edge from 'edge.js'
import type { HttpContext } from '@adonisjs/core/http'
import type { NextFn } from '@adonisjs/core/types/http'
import encryption from '@adonisjs/core/services/encryption'
import { defineConfig } from '@adonisjs/shield'
import ShieldMiddleware from '@adonisjs/shield/shield_middleware'
import shieldConfig from '#config/shield'

let shield: ShieldMiddleware | undefined

/**
 * Shield's Content-Security-Policy for the pages, with a per-response nonce
 * shared with the views (the copy-to-clipboard script carries it). Replaces
 * the static API policy set by the security headers middleware.
 */
export default class PageCspMiddleware {
  handle(ctx: HttpContext, next: NextFn) {
    shield ??= new ShieldMiddleware(
      defineConfig({
        csp: shieldConfig.csp,
        csrf: { enabled: false },
        xFrame: { enabled: false },
        hsts: { enabled: false },
        contentTypeSniffing: { enabled: false },
      }),
      encryption.use(),
      edge
    )
    return shield.handle(ctx, next)
  }
}
