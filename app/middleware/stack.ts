import app from '@adonisjs/core/services/app'
import type { HttpContext } from '@adonisjs/core/http'
import type {
  GetControllerHandlers,
  MiddlewareFn,
  NextFn,
  RouteFn,
} from '@adonisjs/core/types/http'

interface Middleware {
  handle(ctx: HttpContext, next: NextFn): unknown
}

/** What start/kernel.ts lists: a lazily imported middleware class. */
export type LazyMiddleware = () => Promise<{ default: new (...args: any[]) => Middleware }>

/**
 * Middleware that run on every request, run as one layer. The framework
 * gives each layer its own container lookup (a class check, the bindings,
 * construction or a singleton), a tracing span and a promise on every
 * request: ~3-4 µs per layer, a fifth of what `/health/live` costs with six
 * layers. Here each class is made once, through the container (so provider
 * bindings such as CorsMiddleware's config still apply), and the request
 * goes through their `handle` methods in the order given, exactly as the
 * framework's runner would: each gets `next`, one that does not call it ends
 * the request there, an error goes up to the framework's error handling.
 *
 * What the framework imports is not a class but a symbol bound, once, to the
 * one stack instance in the container: its per-request lookup of a class
 * (`toString()` of the class and a regular expression, then the bindings,
 * an async constructor-injection step, construction and an async hooks
 * step) becomes two map lookups; it still calls `handle` through the
 * container. ~6k instructions per layer per request (callgrind: -11.7k per
 * `/health/live`, with two layers then).
 *
 * Only for middleware that keep nothing per request on the instance (none of
 * those listed in start/kernel.ts do) and use no method injection.
 * Diagnostics tools see one middleware span for the stack instead of one per
 * class.
 */
export function stack(...modules: LazyMiddleware[]): LazyMiddleware {
  const binding = Symbol('middlewareStack')
  let made: Promise<void> | undefined
  const make = async () => {
    const imported = await Promise.all(modules.map((load) => load()))
    const handlers: Middleware[] = []
    for (const { default: Class } of imported) handlers.push(await app.container.make(Class))
    // The container takes symbols (fold's bindValue); its types list only classes and known names.
    app.container.bindValue(
      binding as unknown as typeof MiddlewareStack,
      new MiddlewareStack(handlers)
    )
  }
  // Named: AdonisJS labels the layer (and its tracing span) with this function's name.
  return async function middlewareStack() {
    // Made once; a failed import is tried again on the next request, as the framework does.
    await (made ??= make().catch((error) => {
      made = undefined
      throw error
    }))
    // The framework resolves what it imported through the container: this symbol.
    return { default: binding as unknown as new () => Middleware }
  }
}

/** The middleware of one stack(), called in order. */
export class MiddlewareStack {
  constructor(private handlers: Middleware[]) {}

  handle(ctx: HttpContext, next: NextFn) {
    const handlers = this.handlers
    const run = (index: number): any =>
      index === handlers.length ? next() : handlers[index].handle(ctx, () => run(index + 1))
    return run(0)
  }
}

interface MiddlewareWithOptions<Options> {
  handle(ctx: HttpContext, next: NextFn, options?: Options): unknown
}

/**
 * A route middleware (what `router.named` gives) for routes on the request
 * path of every API call, without the framework's per-layer container work:
 * a named middleware is resolved through the container on every request
 * (import check, class check by `toString()`, construction, a call through
 * the container: ~3% of a cached `/api/v1/protected`, callgrind). Here the
 * class is imported and made once, on first use, through the container,
 * and each route gets a plain function calling its `handle` with the
 * route's options, named `name` (`node ace list:routes` shows that name).
 * Same rules as stack(): the class keeps nothing per request on its
 * instance and uses no method injection; being made once, it does not see
 * a `container.swap()` made after its first request (swap it before).
 */
export function direct<Options>(
  name: string,
  load: () => Promise<{ default: new (...args: any[]) => MiddlewareWithOptions<Options> }>
): (options?: Options) => MiddlewareFn {
  let instance: MiddlewareWithOptions<Options> | undefined
  let making: Promise<MiddlewareWithOptions<Options>> | undefined
  const make = async () => {
    const { default: Class } = await load()
    return (instance = await app.container.make(Class))
  }
  return (options) => {
    const middleware: MiddlewareFn = (ctx, next) => {
      if (instance) return instance.handle(ctx, next, options)
      return (making ??= make()).then((made) => made.handle(ctx, next, options))
    }
    // `node ace list:routes` shows a function middleware by its name.
    return Object.defineProperty(middleware, 'name', { value: name })
  }
}

type ControllerClass = new (...args: any[]) => object

/**
 * A route's controller method (what `[Controller, 'method']` gives), without
 * the container's work on every request: for a controller tuple AdonisJS
 * makes a new controller through the container (a class check by
 * `toString()`, its injections looked up, construction) and calls the method
 * through the container (method injections looked up), three async layers:
 * ~4% of the instructions of `/health/live` (callgrind). Here the class is
 * imported and made once, on first use, through the container, and each
 * request calls the method on that instance with `ctx`. Named
 * `Controller.method` for `node ace list:routes`.
 *
 * For controllers that keep nothing per request on the instance and use no
 * method injection (Gatehouse's controllers are thin adapters over services).
 * Under `node ace serve --hmr` the module is imported again on every
 * request, as the framework does, so edits still show without a restart.
 */
export function action<Controller extends ControllerClass>(
  load: () => Promise<{ default: Controller }>,
  method: GetControllerHandlers<Controller>
): RouteFn {
  const reload = 'hot' in import.meta
  let instance: InstanceType<Controller> | undefined
  let making: Promise<InstanceType<Controller>> | undefined
  const make = async () => {
    const { default: Class } = await load()
    return (instance = (await app.container.make(Class)) as InstanceType<Controller>)
  }
  const call = (controller: InstanceType<Controller>, ctx: HttpContext) =>
    (controller[method] as (ctx: HttpContext) => unknown).call(controller, ctx)
  const handler: RouteFn = (ctx) => {
    if (instance && !reload) {
      // As the framework's own handler would: an error thrown by a method that is not async
      // reaches the error handling as a rejection, whatever middleware the route has.
      try {
        return call(instance, ctx)
      } catch (error) {
        return Promise.reject(error)
      }
    }
    making ??= make().finally(() => (making = undefined))
    return making.then((made) => call(made, ctx))
  }
  return Object.defineProperty(handler, 'name', { value: `${load.name}.${String(method)}` })
}
