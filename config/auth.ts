/*
|--------------------------------------------------------------------------
| Authentication (REST_FRAMEWORK.DEFAULT_AUTHENTICATION_CLASSES)
|--------------------------------------------------------------------------
|
| "api": Gatehouse's token guard, DRF's TokenAuthentication semantics
| (`Authorization: Token <key>` or `Bearer <key>`).
|
*/

import { defineConfig } from '@adonisjs/auth'
import type { InferAuthenticators, InferAuthEvents, Authenticators } from '@adonisjs/auth/types'
import { tokenGuard } from '#guards/token_guard'

const authConfig = defineConfig({
  default: 'api',
  guards: {
    api: tokenGuard(),
  },
})

export default authConfig

declare module '@adonisjs/auth/types' {
  export interface Authenticators extends InferAuthenticators<typeof authConfig> {}
}
declare module '@adonisjs/core/types' {
  interface EventsList extends InferAuthEvents<Authenticators> {}
}
