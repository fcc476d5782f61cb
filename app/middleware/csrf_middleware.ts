import type { HttpContext } from '@adonisjs/core/http'
import type { NextFn } from '@adonisjs/core/types/http'
import shieldConfig from '#config/shield'
import { shieldWith } from '#middleware/shield_factory'

const shield = shieldWith(() => ({ csrf: shieldConfig.csrf }))

/** Shield's CSRF guard alone, for the pages (after the session middleware). */
export default class CsrfMiddleware {
  handle(ctx: HttpContext, next: NextFn) {
    return shield(ctx, next)
  }
}
