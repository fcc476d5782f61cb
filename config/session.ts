/*
|--------------------------------------------------------------------------
| Sessions (SESSION_ENGINE in settings.py)
|--------------------------------------------------------------------------
|
| Sessions exist for the server-rendered pages only; the token API never
| reads or sets a session cookie. The default "cookie" store keeps the
| (encrypted) session in the browser, so app processes stay stateless;
| SESSION_DRIVER=redis keeps it in Redis instead. Tests use "memory".
|
*/

import env from '#start/env'
import app from '@adonisjs/core/services/app'
import { defineConfig, stores } from '@adonisjs/session'

/** Inactivity after which a session ends; user_sessions rows idle this long are deleted too. */
export const sessionAge = '2h'

const sessionConfig = defineConfig({
  enabled: true,
  cookieName: 'gatehouse-session',

  /*
  | Keep the cookie across browser restarts, for at most `age` of inactivity.
  */
  clearWithBrowser: false,
  age: sessionAge,

  cookie: {
    path: '/',
    httpOnly: true,
    secure: app.inProduction,
    sameSite: 'lax',
  },

  store: env.get('SESSION_DRIVER', 'cookie'),

  stores: {
    cookie: stores.cookie(),
    redis: stores.redis({ connection: 'main' }),
  },
})

export default sessionConfig
