/*
|--------------------------------------------------------------------------
| HTTP kernel (MIDDLEWARE in settings.py)
|--------------------------------------------------------------------------
|
| Server middleware runs on every request; router middleware on every
| request that matches a route; named middleware where routes ask for it.
|
*/

import router from '@adonisjs/core/services/router'
import server from '@adonisjs/core/services/server'

server.errorHandler(() => import('#exceptions/handler'))

server.use([
  () => import('#middleware/container_bindings_middleware'),
  () => import('#middleware/request_logger_middleware'),
  () => import('@adonisjs/cors/cors_middleware'),
])

router.use([
  () => import('@adonisjs/core/bodyparser_middleware'),
  () => import('@adonisjs/auth/initialize_auth_middleware'),
])

export const middleware = router.named({
  api: () => import('#middleware/api_middleware'),
  auth: () => import('#middleware/auth_middleware'),
  loginThrottle: () => import('#middleware/login_throttle_middleware'),
})
