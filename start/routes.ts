/*
|--------------------------------------------------------------------------
| Routes (urls.py)
|--------------------------------------------------------------------------
|
| The whole HTTP surface of Gatehouse, grouped by who may call it.
|
*/

import router from '@adonisjs/core/services/router'
import { middleware } from '#start/kernel'
import { action } from '#middleware/stack'
import env from '#start/env'

const HealthController = () => import('#controllers/health_controller')
const ObtainTokenController = () => import('#controllers/api/obtain_token_controller')
const AuthController = () => import('#controllers/api/auth_controller')
const MeController = () => import('#controllers/api/me_controller')
const TokensController = () => import('#controllers/api/tokens_controller')
const HomeController = () => import('#controllers/home_controller')
const SessionController = () => import('#controllers/session_controller')
const DashboardController = () => import('#controllers/dashboard_controller')
const WebTokensController = () => import('#controllers/tokens_controller')
const AccountController = () => import('#controllers/account_controller')
const DeviceController = () => import('#controllers/api/device_controller')
const WebDeviceController = () => import('#controllers/device_controller')
const EventsController = () => import('#controllers/api/events_controller')
const AdminUsersController = () => import('#controllers/admin/users_controller')
const AdminTokensController = () => import('#controllers/admin/tokens_controller')
const LeakedTokensController = () => import('#controllers/api/leaked_tokens_controller')
const MetricsController = () => import('#controllers/metrics_controller')

/*
| Probes for load balancers and operators.
*/
router.get('/health', action(HealthController, 'show')).as('health')
router.get('/health/live', action(HealthController, 'live')).as('health.live')

/*
| DRF compatibility: rest_framework.authtoken.views.obtain_auth_token.
*/
router
  .group(() => {
    router.post('/', action(ObtainTokenController, 'store')).as('obtain')
  })
  .prefix('/api-token-auth')
  .as('drf')
  .use([middleware.loginThrottle(), middleware.api()])

/*
| API v1, anyone: sign in (get-or-create a named token).
*/
router
  .group(() => {
    router.post('/auth/login', action(AuthController, 'login')).as('auth.login')
  })
  .prefix('/api/v1')
  .as('api.v1')
  .use([middleware.loginThrottle(), middleware.api()])

/*
| API v1, token holders only (IsAuthenticated).
*/
router
  .group(() => {
    router.post('/auth/logout', action(AuthController, 'logout')).as('auth.logout')
    router
      .post('/auth/logout-all', action(AuthController, 'logoutAll'))
      .as('auth.logout_all')
      .use(middleware.ability(['tokens:write']))
    router.get('/me', action(MeController, 'show')).as('me')
    router.get('/protected', action(MeController, 'protected')).as('protected')

    router
      .get('/tokens', action(TokensController, 'index'))
      .as('tokens.index')
      .use(middleware.ability(['tokens:read']))
    router
      .group(() => {
        router.post('/tokens', action(TokensController, 'store')).as('tokens.store')
        router.post('/tokens/:id/rotate', action(TokensController, 'rotate')).as('tokens.rotate')
        router.delete('/tokens/:id', action(TokensController, 'destroy')).as('tokens.destroy')
      })
      .use(middleware.ability(['tokens:write']))

    router
      .get('/events', action(EventsController, 'index'))
      .as('events.index')
      .use(middleware.ability(['tokens:read']))
  })
  .prefix('/api/v1')
  .as('api.v1')
  .use([middleware.api({ auth: 'api' })])

/*
| Pages, for people (server-rendered, `web` session guard). Only these routes
| get a session, CSRF protection and the signed-in user; the API above never
| sets a cookie.
*/
router
  .group(() => {
    router.get('/', action(HomeController, 'show')).as('home')

    router
      .group(() => {
        router.get('/login', action(SessionController, 'create')).as('login')
        router.post('/login', action(SessionController, 'store')).as('login.store')
      })
      .use(middleware.guest({ guards: ['web'] }))

    router
      .group(() => {
        router.post('/logout', action(SessionController, 'destroy')).as('logout')
        router.get('/dashboard', action(DashboardController, 'show')).as('dashboard')
        router.get('/tokens', action(WebTokensController, 'index')).as('tokens.index')
        router.post('/tokens', action(WebTokensController, 'store')).as('tokens.store')
        router.post('/tokens/mine', action(WebTokensController, 'mine')).as('tokens.mine')
        router
          .post('/tokens/revoke-all', action(WebTokensController, 'destroyAll'))
          .as('tokens.revoke_all')
        router
          .post('/tokens/:id/revoke', action(WebTokensController, 'destroy'))
          .as('tokens.revoke')
          .where('id', router.matchers.number())

        // My account (password, browser sessions); approving a device sign-in.
        router.get('/account', action(AccountController, 'show')).as('account')
        router
          .post('/account/password', action(AccountController, 'updatePassword'))
          .as('account.password')
        router
          .post('/account/sessions/end', action(AccountController, 'endSessions'))
          .as('account.sessions.end')
        router.get('/device', action(WebDeviceController, 'show')).as('device')
        router.post('/device', action(WebDeviceController, 'lookup')).as('device.lookup')
        router.post('/device/decision', action(WebDeviceController, 'decide')).as('device.decide')
      })
      .use(middleware.auth({ guards: ['web'] }))

    /*
    | The staff console (Django's admin): active staff only; anyone else,
    | guests included, gets the 404 of an unknown address.
    */
    router
      .group(() => {
        router.get('/', ({ response }) => response.redirect().toPath('/admin/users')).as('home')
        router.get('/users', action(AdminUsersController, 'index')).as('users.index')
        router.get('/users/new', action(AdminUsersController, 'create')).as('users.create')
        router.post('/users', action(AdminUsersController, 'store')).as('users.store')
        router
          .group(() => {
            router.get('/users/:id', action(AdminUsersController, 'show')).as('users.show')
            router
              .post('/users/:id/activate', action(AdminUsersController, 'activate'))
              .as('users.activate')
            router
              .post('/users/:id/deactivate', action(AdminUsersController, 'deactivate'))
              .as('users.deactivate')
            router.post('/users/:id/roles', action(AdminUsersController, 'roles')).as('users.roles')
            router
              .post(
                '/users/:id/temporary-password',
                action(AdminUsersController, 'temporaryPassword')
              )
              .as('users.temporary_password')
            router
              .post('/users/:id/tokens/revoke-all', action(AdminUsersController, 'revokeAll'))
              .as('users.revoke_all')
            router.get('/tokens', action(AdminTokensController, 'index')).as('tokens.index')
            router
              .post('/tokens/:id/revoke', action(AdminUsersController, 'revokeToken'))
              .as('tokens.revoke')
          })
          .where('id', router.matchers.number())
      })
      .prefix('/admin')
      .as('admin')
      .use(middleware.staff())
  })
  .use([
    middleware.pageCsp(),
    middleware.session(),
    middleware.csrf(),
    middleware.silentAuth({ guards: ['web'] }),
  ])

/*
| API v1, anyone: device sign-in for command-line tools (RFC 8628). The
| tool starts it and polls; a person approves it on /device.
*/
router
  .group(() => {
    router.post('/device/authorize', action(DeviceController, 'authorize')).as('device.authorize')
    router.post('/device/token', action(DeviceController, 'token')).as('device.token')
  })
  .prefix('/api/v1')
  .as('api.v1')
  .use([middleware.api()])

/*
| API v1, anyone holding keys: revoke them as leaked (secret scanners). Throttled
| per IP address with the sign-in limit (the same counter).
*/
router
  .group(() => {
    router
      .post('/tokens/revoke-leaked', action(LeakedTokensController, 'store'))
      .as('tokens.revoke_leaked')
  })
  .prefix('/api/v1')
  .as('api.v1')
  .use([middleware.loginThrottle(), middleware.api()])

/*
| Prometheus scrape endpoint: allowed addresses or the bearer secret only
| (config/metrics.ts); 404 for everyone else.
*/
router.get('/metrics', action(MetricsController, 'show')).as('metrics')

/*
| Benchmark only: SQL query counts, registered when BENCH_COUNT_QUERIES=1.
*/
if (env.get('BENCH_COUNT_QUERIES', false)) {
  await import('#start/query_counter')
}
