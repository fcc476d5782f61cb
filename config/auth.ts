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
import { Secret } from '@adonisjs/core/helpers'
import type { InferAuthenticators, InferAuthEvents, Authenticators } from '@adonisjs/auth/types'
import { tokenGuard } from '#guards/token_guard'
import { ActiveSessionUserProvider } from '#guards/active_session_user_provider'
import { recordedSessionGuard } from '#guards/recorded_session_guard'

const authConfig = defineConfig({
  default: 'api',
  guards: {
    api: tokenGuard(async () => {
      const { default: authenticator } = await import('#services/token_authenticator')
      const { default: tokenService } = await import('#services/token_service')
      const { default: audit } = await import('#services/audit_service')
      return {
        authenticator,
        issue: async (user) => {
          const issued = await tokenService.create(user, { name: 'test-client' })
          return new Secret(issued.value)
        },
        // Recorded once per token, not per retry (AuditService.expiredRefused).
        expiredRefused: (tokenId, userId, request) =>
          audit.expiredRefused(tokenId, userId, request),
      }
    }),
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
