/*
|--------------------------------------------------------------------------
| CORS (django-cors-headers' CORS_ALLOWED_ORIGINS)
|--------------------------------------------------------------------------
|
| Browsers on other origins may call the API only from the origins listed
| in CORS_ORIGINS (comma separated, e.g. "https://app.example.com"); none
| by default. Token routes authenticate with the Authorization header, not
| cookies, so credentials are never allowed cross-origin.
|
*/

import env from '#start/env'
import { defineConfig } from '@adonisjs/cors'

export const corsOrigins = (env.get('CORS_ORIGINS') ?? '')
  .split(',')
  .map((origin) => origin.trim().replace(/\/+$/, ''))
  .filter((origin) => origin !== '')

const corsConfig = defineConfig({
  enabled: true,
  origin: corsOrigins,
  methods: ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE'],
  headers: ['authorization', 'content-type', 'accept'],
  exposeHeaders: ['retry-after', 'www-authenticate', 'x-request-id'],
  credentials: false,
  maxAge: 600,
})

export default corsConfig
