/*
|--------------------------------------------------------------------------
| Shield (SECURE_* and CSRF_* in settings.py)
|--------------------------------------------------------------------------
|
| Security headers go on every response, API included
| (#middleware/security_headers_middleware). CSRF protects the pages only
| (#middleware/csrf_middleware): the API is authenticated by tokens and
| credentials, carries no cookies and so needs no CSRF token.
|
*/

import app from '@adonisjs/core/services/app'
import { defineConfig } from '@adonisjs/shield'

const shieldConfig = defineConfig({
  /*
  | Scripts and styles from this origin only; the one inline script (copy to
  | clipboard) carries the per-response nonce. No framing, no plugins.
  */
  csp: {
    enabled: true,
    directives: {
      defaultSrc: [`'self'`],
      scriptSrc: [`'self'`, '@nonce'],
      styleSrc: [`'self'`, '@nonce'],
      imgSrc: [`'self'`, 'data:'],
      fontSrc: [`'self'`],
      connectSrc: [`'self'`],
      formAction: [`'self'`],
      frameAncestors: [`'none'`],
      baseUri: [`'self'`],
      objectSrc: [`'none'`],
    },
    reportOnly: false,
  },

  /*
  | Every form carries {{ csrfField() }}; a POST without a valid token is
  | refused. API paths are excepted should the middleware ever reach them.
  */
  csrf: {
    enabled: true,
    exceptRoutes: ({ request }) => request.url().startsWith('/api'),
    enableXsrfCookie: false,
    methods: ['POST', 'PUT', 'PATCH', 'DELETE'],
  },

  xFrame: {
    enabled: true,
    action: 'DENY',
  },

  /*
  | HTTPS only, once deployed behind TLS.
  */
  hsts: {
    enabled: app.inProduction,
    maxAge: '180 days',
  },

  contentTypeSniffing: {
    enabled: true,
  },
})

export default shieldConfig
