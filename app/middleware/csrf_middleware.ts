import edge from 'edge.js'
import type { HttpContext } from '@adonisjs/core/http'
import type { NextFn } from '@adonisjs/core/types/http'
import encryption from '@adonisjs/core/services/encryption'
import { defineConfig } from '@adonisjs/shield'
import ShieldMiddleware from '@adonisjs/shield/shield_middleware'
import shieldConfig from '#config/shield'

let shield: ShieldMiddleware | undefined

/** Shield's CSRF guard alone, for the pages (after the session middleware). Built once. */
export default class CsrfMiddleware {
  handle(ctx: HttpContext, next: NextFn) {
    shield ??= new ShieldMiddleware(
      defineConfig({ csrf: shieldConfig.csrf }),
      encryption.use(),
      edge
    )
    return shield.handle(ctx, next)
  }
}
