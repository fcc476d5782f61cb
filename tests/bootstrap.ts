import { assert } from '@japa/assert'
import { apiClient } from '@japa/api-client'
import app from '@adonisjs/core/services/app'
import type { Config } from '@japa/runner/types'
import { pluginAdonisJS } from '@japa/plugin-adonisjs'
import testUtils from '@adonisjs/core/services/test_utils'
import { authApiClient } from '@adonisjs/auth/plugins/api_client'
import { sessionApiClient } from '@adonisjs/session/plugins/api_client'
import { shieldApiClient } from '@adonisjs/shield/plugins/api_client'
import env from '#start/env'
import { createHttpServer } from '#services/server_response'
import { freePort } from '#tests/helpers/app_process'
import { prepareTestDatabase } from '#tests/helpers/database'
import { startEarlyProcesses, stopEarlyProcesses } from '#tests/helpers/early_processes'

/**
 * Japa plugins: assertions, the HTTP client (loginAs through the token guard,
 * or `withGuard('web').loginAs()` through a session; withCsrfToken() for
 * page forms) and AdonisJS helpers (route(), ace).
 */
export const plugins: Config['plugins'] = [
  assert(),
  apiClient(),
  pluginAdonisJS(app),
  sessionApiClient(app),
  shieldApiClient(),
  authApiClient(app),
]

/**
 * The test HTTP server listens on a free loopback port (runs side by side
 * never collide); the API client, the browser and the helpers read it back
 * from HOST and PORT.
 */
async function pickPort() {
  env.set('HOST', '127.0.0.1')
  env.set('PORT', await freePort())
}

/**
 * Before the run: a free port, and make sure the test database exists
 * (PostgreSQL gets a database of its own) and is migrated from scratch; then
 * the child servers some specs take boot in the background
 * (tests/helpers/early_processes.ts). Functional tests need the HTTP server,
 * and so do command tests that use a printed key.
 */
export const runnerHooks: Required<Pick<Config, 'setup' | 'teardown'>> = {
  setup: [
    pickPort,
    () => prepareTestDatabase(),
    () => testUtils.db().migrate(),
    () => startEarlyProcesses(),
  ],
  teardown: [() => stopEarlyProcesses()],
}

export const configureSuite: Config['configureSuite'] = (suite) => {
  if (suite.name === 'browser') {
    suite.teardown(async () => {
      const { closeSharedChromium } = await import('#tests/browser/browser_helpers')
      await closeSharedChromium()
    })
  }
  if (['browser', 'functional', 'e2e', 'commands'].includes(suite.name)) {
    // The server bin/server.ts runs (its responses write the security headers as fixed text).
    return suite.setup(() => testUtils.httpServer().start((handler) => createHttpServer(handler)))
  }
}
