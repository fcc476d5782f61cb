import edge from 'edge.js'
import encryption from '@adonisjs/core/services/encryption'
import { defineConfig } from '@adonisjs/shield'
import ShieldMiddleware from '@adonisjs/shield/shield_middleware'
import shieldConfig from '#config/shield'

/** Shield's CSRF guard alone, for the pages (after the session middleware). */
export default class CsrfMiddleware extends ShieldMiddleware {
  constructor() {
    super(defineConfig({ csrf: shieldConfig.csrf }), encryption.use(), edge)
  }
}
