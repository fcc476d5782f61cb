import { assert } from '@japa/assert'
import { apiClient } from '@japa/api-client'
import app from '@adonisjs/core/services/app'
import type { Config } from '@japa/runner/types'
import { pluginAdonisJS } from '@japa/plugin-adonisjs'
import testUtils from '@adonisjs/core/services/test_utils'
import { authApiClient } from '@adonisjs/auth/plugins/api_client'
import { prepareTestDatabase } from '#tests/helpers/database'

/**
 * Japa plugins: assertions, the HTTP client (with loginAs through the token
 * guard) and AdonisJS helpers (route(), ace).
 */
export const plugins: Config['plugins'] = [
  assert(),
  apiClient(),
  pluginAdonisJS(app),
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
