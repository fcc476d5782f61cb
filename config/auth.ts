/*
|--------------------------------------------------------------------------
| Authentication (REST_FRAMEWORK.DEFAULT_AUTHENTICATION_CLASSES)
|--------------------------------------------------------------------------
|
| "api": Gatehouse's token guard, DRF's TokenAuthentication semantics
| (`Authorization: Token <key>` or `Bearer <key>`).
| "web": sessions, for the server-rendered pages (SessionAuthentication),
| each backed by a user_sessions row so that sign-out ends every copy.
|
*/

import { defineConfig } from '@adonisjs/auth'
import type { InferAuthenticators, InferAuthEvents, Authenticators } from '@adonisjs/auth/types'
import { tokenGuard } from '#guards/token_guard'
import { ActiveSessionUserProvider } from '#guards/active_session_user_provider'
import { recordedSessionGuard } from '#guards/recorded_session_guard'

const authConfig = defineConfig({
  default: 'api',
  guards: {
    api: tokenGuard(),
    web: recordedSessionGuard({
      provider: new ActiveSessionUserProvider({ model: () => import('#models/user') }),
    }),
  },
})

export default authConfig

declare module '@adonisjs/auth/types' {
  export interface Authenticators extends InferAuthenticators<typeof authConfig> {}
}
declare module '@adonisjs/core/types' {
  interface EventsList extends InferAuthEvents<Authenticators> {}
}
