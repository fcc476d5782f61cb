import edge from 'edge.js'
import type { HttpContext } from '@adonisjs/core/http'
import type { NextFn } from '@adonisjs/core/types/http'
import encryption from '@adonisjs/core/services/encryption'
import { defineConfig } from '@adonisjs/shield'
import type { ShieldConfig } from '@adonisjs/shield/types'
import ShieldMiddleware from '@adonisjs/shield/shield_middleware'

/**
 * A handler running shield with a part of its config (the API's headers, the
 * pages' CSP, CSRF). Built on first use, once: shield compiles its guards in
 * the constructor, and the encrypter and views are ready only after boot.
 */
export function shieldWith(config: () => Partial<ShieldConfig>) {
  let shield: ShieldMiddleware | undefined
  return (ctx: HttpContext, next: NextFn) => {
    shield ??= new ShieldMiddleware(defineConfig(config()), encryption.use(), edge)
    return shield.handle(ctx, next)
  }
}
