/*
|--------------------------------------------------------------------------
| Bare AdonisJS v7 HTTP servers (used by `npm run bench`)
|--------------------------------------------------------------------------
|
| The framework's own HTTP server and router (same @adonisjs/core as the
| app), one route answering what Gatehouse's /health/live answers:
|
| - no flag: no middleware at all, what the framework costs before any app
|   adds to it;
| - `--kit`: the middleware stack of the official v7 API starter kit
|   (adonisjs/api-starter-kit, start/kernel.ts): container bindings, force
|   JSON response, CORS (the kit's config) on every request, the body parser
|   on every route; request ids and a logger, as the kit's config has them.
|   The framework's own server middleware: what the performance issue
|   compares /health/live with.
|
| Usage: node --import=@poppinss/ts-exec scripts/bare_adonis.ts <port> [--kit]
|
*/

import { createServer } from 'node:http'
import { ServerFactory } from '@adonisjs/core/factories/http'
import { AppFactory } from '@adonisjs/core/factories/app'
import { HttpContext } from '@adonisjs/core/http'
import { Logger } from '@adonisjs/core/logger'
import type { NextFn } from '@adonisjs/core/types/http'
import { defineConfig as bodyParserConfig } from '@adonisjs/core/bodyparser'
import BodyParserMiddleware from '@adonisjs/core/bodyparser_middleware'
import { defineConfig as corsConfig } from '@adonisjs/cors'
import CorsMiddleware from '@adonisjs/cors/cors_middleware'

/** The kit's app/middleware/container_bindings_middleware.ts. */
class ContainerBindingsMiddleware {
  handle(ctx: HttpContext, next: NextFn) {
    ctx.containerResolver.bindValue(HttpContext, ctx)
    ctx.containerResolver.bindValue(Logger, ctx.logger)
    return next()
  }
}

/** The kit's app/middleware/force_json_response.ts. */
class ForceJsonResponseMiddleware {
  handle({ request }: HttpContext, next: NextFn) {
    request.request.headers.accept = 'application/json'
    return next()
  }
}

const kit = process.argv.includes('--kit')
const app = new AppFactory().create(new URL('../', import.meta.url))
await app.init()
const server = new ServerFactory()
  .merge(
    kit
      ? {
          app,
          // The kit's config/app.ts and config/logger.ts: a request id and a child logger per request.
          config: { generateRequestId: true, allowMethodSpoofing: true },
          logger: new Logger({ enabled: true, name: 'kit', level: 'info' }),
        }
      : { app }
  )
  .create()
const router = server.getRouter()

if (kit) {
  // What the kit's providers bind, with the kit's config/cors.ts and config/bodyparser.ts.
  app.container.singleton(
    CorsMiddleware,
    () =>
      new CorsMiddleware(
        corsConfig({
          enabled: true,
          origin: true,
          methods: ['GET', 'HEAD', 'POST', 'PUT', 'DELETE'],
          headers: true,
          exposeHeaders: [],
          credentials: true,
          maxAge: 90,
        })
      )
  )
  app.container.singleton(
    BodyParserMiddleware,
    () =>
      new BodyParserMiddleware(
        bodyParserConfig({ allowedMethods: ['POST', 'PUT', 'PATCH', 'DELETE'] })
      )
  )
  server.use([
    async () => ({ default: ContainerBindingsMiddleware }),
    async () => ({ default: ForceJsonResponseMiddleware }),
    () => import('@adonisjs/cors/cors_middleware'),
  ])
  router.use([() => import('@adonisjs/core/bodyparser_middleware')])
}

router.get('/health/live', () => ({ status: 'ok' }))
await server.boot()
createServer((req, res) => server.handle(req, res)).listen(Number(process.argv[2]), '127.0.0.1')
// Exit normally when stopped, so `node --cpu-prof` can write its profile.
for (const signal of ['SIGINT', 'SIGTERM'] as const) process.on(signal, () => process.exit(0))
