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
import env from '#start/env'

const HealthController = () => import('#controllers/health_controller')
const ObtainTokenController = () => import('#controllers/api/obtain_token_controller')
const AuthController = () => import('#controllers/api/auth_controller')
const MeController = () => import('#controllers/api/me_controller')
const TokensController = () => import('#controllers/api/tokens_controller')

/*
| Probes for load balancers and operators.
*/
router.get('/health', [HealthController, 'show']).as('health')
router.get('/health/live', [HealthController, 'live']).as('health.live')

/*
| DRF compatibility: rest_framework.authtoken.views.obtain_auth_token.
*/
router
  .group(() => {
    router.post('/', [ObtainTokenController, 'store']).as('obtain')
  })
  .prefix('/api-token-auth')
  .as('drf')
  .use(middleware.api())

/*
| API v1, anyone: sign in (get-or-create a named token).
*/
router
  .group(() => {
    router.post('/auth/login', [AuthController, 'login']).as('auth.login')
  })
  .prefix('/api/v1')
  .as('api.v1')
  .use(middleware.api())

/*
| API v1, token holders only (IsAuthenticated).
*/
router
  .group(() => {
    router.post('/auth/logout', [AuthController, 'logout']).as('auth.logout')
    router.post('/auth/logout-all', [AuthController, 'logoutAll']).as('auth.logout_all')
    router.get('/me', [MeController, 'show']).as('me')
    router.get('/protected', [MeController, 'protected']).as('protected')

    router
      .get('/tokens', [TokensController, 'index'])
      .as('tokens.index')
      .use(middleware.auth({ guards: ['api'], abilities: ['tokens:read'] }))
    router
      .post('/tokens', [TokensController, 'store'])
      .as('tokens.store')
      .use(middleware.auth({ guards: ['api'], abilities: ['tokens:write'] }))
    router
      .delete('/tokens/:id', [TokensController, 'destroy'])
      .as('tokens.destroy')
      .use(middleware.auth({ guards: ['api'], abilities: ['tokens:write'] }))
  })
  .prefix('/api/v1')
  .as('api.v1')
  .use([middleware.api(), middleware.auth({ guards: ['api'] })])

/*
| Benchmark only: SQL query counts, registered when BENCH_COUNT_QUERIES=1.
*/
if (env.get('BENCH_COUNT_QUERIES', false)) {
  await import('#start/query_counter')
}
