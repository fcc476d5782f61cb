/*
|--------------------------------------------------------------------------
| HTTP kernel (MIDDLEWARE in settings.py)
|--------------------------------------------------------------------------
|
| Server middleware runs on every request (there is no router-level list:
| see below); named middleware where routes ask for it.
|
*/

import router from '@adonisjs/core/services/router'
import server from '@adonisjs/core/services/server'
import { direct, stack } from '#middleware/stack'

server.errorHandler(() => import('#exceptions/handler'))

/*
| The list runs in the order written, as one layer (`stack`, see
| app/middleware/stack.ts): the framework's per-layer work is paid once
| instead of once per middleware. Middleware added here must keep nothing
| per request on their instance.
*/
server.use([
  stack(
    () => import('#middleware/container_bindings_middleware'),
    () => import('#middleware/request_observer_middleware'),
    () => import('#middleware/cors_middleware'),
    () => import('#middleware/static_assets_middleware'),
    // What AdonisJS's starter kits list as router middleware, here as part of the one server
    // layer: a router-level layer cost ~25k instructions per request (callgrind), most of it
    // the framework resolving and awaiting the layer. Static files are answered before these
    // (as before); a request for an unknown address now gets the security headers too (its
    // HTML 404 page without the API's CSP: app/exceptions/handler.ts), and its body, if any,
    // is parsed (within config/bodyparser.ts's limits) before the 404.
    () => import('@adonisjs/core/bodyparser_middleware'),
    () => import('#middleware/security_headers_middleware')
  ),
])

/*
| Pages add session + csrf + silentAuth on their route group; the API never
| gets a session (no cookies on API responses).
*/
export const middleware = {
  ...router.named({
    auth: () => import('#middleware/auth_middleware'),
    ability: () => import('#middleware/ability_middleware'),
    guest: () => import('#middleware/guest_middleware'),
    session: () => import('@adonisjs/session/session_middleware'),
    csrf: () => import('#middleware/csrf_middleware'),
    pageCsp: () => import('#middleware/page_csp_middleware'),
    silentAuth: () => import('#middleware/silent_auth_middleware'),
    loginThrottle: () => import('#middleware/login_throttle_middleware'),
    staff: () => import('#middleware/staff_middleware'),
  }),
  /** On every API route: made once and called directly (see direct() in app/middleware/stack.ts). */
  api: direct('api', () => import('#middleware/api_middleware')),
}
