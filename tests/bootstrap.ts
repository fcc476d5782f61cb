import { assert } from '@japa/assert'
import { apiClient } from '@japa/api-client'
import app from '@adonisjs/core/services/app'
import type { Config } from '@japa/runner/types'
import { pluginAdonisJS } from '@japa/plugin-adonisjs'
import testUtils from '@adonisjs/core/services/test_utils'
import { authApiClient } from '@adonisjs/auth/plugins/api_client'
import { sessionApiClient } from '@adonisjs/session/plugins/api_client'
import { shieldApiClient } from '@adonisjs/shield/plugins/api_client'
import { prepareTestDatabase } from '#tests/helpers/database'

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
 * Before the run: make sure the test database exists (PostgreSQL gets a
 * database of its own) and is migrated from scratch. Functional tests need
 * the HTTP server, and so do command tests that use a printed key.
 */
export const runnerHooks: Required<Pick<Config, 'setup' | 'teardown'>> = {
  setup: [() => prepareTestDatabase(), () => testUtils.db().migrate()],
  teardown: [],
}

export const configureSuite: Config['configureSuite'] = (suite) => {
  if (['browser', 'functional', 'e2e', 'commands'].includes(suite.name)) {
    return suite.setup(() => testUtils.httpServer().start())
  }
}
