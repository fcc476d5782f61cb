import { test } from '@japa/runner'
import router from '@adonisjs/core/services/router'

/**
 * Tests call routes by name; clients and bookmarks call paths. The paths
 * README documents are pinned here, once: moving one fails this test.
 */
const DOCUMENTED = {
  'drf.obtain': 'POST /api-token-auth',
  'api.v1.auth.login': 'POST /api/v1/auth/login',
  'api.v1.auth.logout': 'POST /api/v1/auth/logout',
  'api.v1.auth.logout_all': 'POST /api/v1/auth/logout-all',
  'api.v1.me': 'GET /api/v1/me',
  'api.v1.protected': 'GET /api/v1/protected',
  'api.v1.tokens.index': 'GET /api/v1/tokens',
  'api.v1.tokens.store': 'POST /api/v1/tokens',
  'api.v1.tokens.destroy': 'DELETE /api/v1/tokens/:id',
  'api.v1.tokens.rotate': 'POST /api/v1/tokens/:id/rotate',
  'api.v1.device.authorize': 'POST /api/v1/device/authorize',
  'api.v1.device.token': 'POST /api/v1/device/token',
  'api.v1.events.index': 'GET /api/v1/events',
  'api.v1.tokens.revoke_leaked': 'POST /api/v1/tokens/revoke-leaked',
  'health': 'GET /health',
  'health.live': 'GET /health/live',
  'metrics': 'GET /metrics',
  'home': 'GET /',
  'login': 'GET /login',
  'login.store': 'POST /login',
  'logout': 'POST /logout',
  'dashboard': 'GET /dashboard',
  'tokens.index': 'GET /tokens',
  'tokens.store': 'POST /tokens',
  'tokens.mine': 'POST /tokens/mine',
  'tokens.revoke': 'POST /tokens/:id/revoke',
  'tokens.revoke_all': 'POST /tokens/revoke-all',
  'account': 'GET /account',
  'account.password': 'POST /account/password',
  'account.sessions.end': 'POST /account/sessions/end',
  'device': 'GET /device',
  'device.lookup': 'POST /device',
  'device.decide': 'POST /device/decision',
  'admin.home': 'GET /admin',
  'admin.users.index': 'GET /admin/users',
  'admin.users.create': 'GET /admin/users/new',
  'admin.users.show': 'GET /admin/users/:id',
  'admin.tokens.index': 'GET /admin/tokens',
}

test.group('Documented paths', () => {
  test('each documented path is served by the route of that name', async ({ assert }) => {
    const served = Object.fromEntries(
      Object.keys(DOCUMENTED).map((name) => {
        const route = router.findOrFail(name)
        return [name, `${route.methods.find((method) => method !== 'HEAD')} ${route.pattern}`]
      })
    )

    assert.deepEqual(served, DOCUMENTED)
  })
})
