import edge from 'edge.js'
import encryption from '@adonisjs/core/services/encryption'
import { defineConfig } from '@adonisjs/shield'
import ShieldMiddleware from '@adonisjs/shield/shield_middleware'
import shieldConfig from '#config/shield'

/**
 * Shield's headers (CSP with a nonce, X-Frame-Options, HSTS, nosniff) on
 * every routed response, API included. No CSRF here: it needs a session,
 * and the API must not start one.
 */
export default class SecurityHeadersMiddleware extends ShieldMiddleware {
  constructor() {
    super(defineConfig({ ...shieldConfig, csrf: { enabled: false } }), encryption.use(), edge)
  }
}
