import { test } from '@japa/runner'
import app from '@adonisjs/core/services/app'
import { HttpContextFactory } from '@adonisjs/core/factories/http'
import type { HttpContext } from '@adonisjs/core/http'
import type { NextFn } from '@adonisjs/core/types/http'
import { moduleImporter } from '@adonisjs/core/container'
import { action, direct, MiddlewareStack, stack } from '#middleware/stack'

/** A middleware class that records its calls in `trail`, as `name`. */
function recorder(trail: string[], name: string, behaviour: 'next' | 'stop' | 'throw' = 'next') {
  return class {
    static made = 0
    constructor() {
      ;(this.constructor as unknown as { made: number }).made++
    }
    async handle(_ctx: HttpContext, next: NextFn) {
      trail.push(`${name}:before`)
      if (behaviour === 'stop') return `${name} answered`
      if (behaviour === 'throw') throw new Error(`${name} failed`)
      const result = await next()
      trail.push(`${name}:after`)
      return result
    }
  }
}

/**
 * The stack as the framework runs what start/kernel.ts gives it: fold's
 * moduleImporter imports it, resolves the default export through the
 * request's container resolver and calls `handle` through it.
 */
function load(...classes: Array<new () => any>) {
  const layer = moduleImporter(
    stack(...classes.map((Class) => async () => ({ default: Class }))),
    'handle'
  ).toHandleMethod()
  return {
    handle: (ctx: HttpContext, next: NextFn) =>
      layer.handle(app.container.createResolver(), ctx, next) as Promise<unknown>,
  }
}

test.group('Middleware stack (start/kernel.ts)', () => {
  test('runs each middleware in the order listed, around the rest of the request', async ({
    assert,
  }) => {
    const trail: string[] = []
    const middleware = load(recorder(trail, 'a'), recorder(trail, 'b'))
    const result = await middleware.handle(new HttpContextFactory().create(), async () => {
      trail.push('route')
      return 'answer'
    })

    assert.equal(result, 'answer')
    assert.deepEqual(trail, ['a:before', 'b:before', 'route', 'b:after', 'a:after'])
  })

  test('a middleware that does not call next ends the request there', async ({ assert }) => {
    const trail: string[] = []
    const middleware = load(recorder(trail, 'a'), recorder(trail, 'b', 'stop'))
    const result = await middleware.handle(new HttpContextFactory().create(), async () => {
      trail.push('route')
    })

    assert.equal(result, 'b answered')
    assert.deepEqual(trail, ['a:before', 'b:before', 'a:after'], 'the route never ran')
  })

  test('an error goes up to the framework, past the middleware before it', async ({ assert }) => {
    const trail: string[] = []
    const middleware = load(recorder(trail, 'a'), recorder(trail, 'b', 'throw'))

    await assert.rejects(
      () => middleware.handle(new HttpContextFactory().create(), async () => {}),
      'b failed'
    )
    assert.deepEqual(trail, ['a:before', 'b:before'])
  })

  test('each class is made once, through the container (its bindings apply)', async ({
    assert,
  }) => {
    const trail: string[] = []
    const Plain = recorder(trail, 'plain')
    const Bound = recorder(trail, 'bound')
    const bound = new Bound()
    app.container.bind(Bound, () => bound)
    try {
      const middleware = load(Plain, Bound)
      for (let i = 0; i < 3; i++) {
        await middleware.handle(new HttpContextFactory().create(), async () => {})
      }
      assert.equal(Plain.made, 1)
      assert.equal(Bound.made, 1, 'the container binding made it, once, before the stack')
      assert.lengthOf(
        trail.filter((entry) => entry === 'bound:before'),
        3
      )
    } finally {
      app.container.restore(Bound)
    }
  })

  test('the framework resolves one stack instance for every request; a failed import is tried again', async ({
    assert,
  }) => {
    const trail: string[] = []
    let imports = 0
    let failNext = true
    const lazy = stack(async () => {
      imports++
      if (failNext) {
        failNext = false
        throw new Error('import failed')
      }
      return { default: recorder(trail, 'a') }
    })
    await assert.rejects(() => lazy(), 'import failed')

    const { default: binding } = await lazy()
    const resolved = await Promise.all([
      app.container.createResolver().make(binding),
      app.container.createResolver().make(binding),
    ])
    assert.instanceOf(resolved[0], MiddlewareStack)
    assert.strictEqual(resolved[0], resolved[1], 'one instance, not one per request')
    await lazy()
    assert.equal(imports, 2, 'imported again after the failure, then never')
  })
})

/** A middleware class taking route options, counting the instances made. */
function withOptions(seen: unknown[]) {
  return class {
    static made = 0
    constructor() {
      ;(this.constructor as unknown as { made: number }).made++
    }
    async handle(_ctx: HttpContext, next: NextFn, options?: { auth?: string }) {
      seen.push(options)
      if (options?.auth === 'refuse') return 'refused'
      return next()
    }
  }
}

test.group('Route middleware called directly (direct(), start/kernel.ts)', () => {
  test('each route gets its options; the class is imported and made once for all of them', async ({
    assert,
  }) => {
    const seen: unknown[] = []
    const Middleware = withOptions(seen)
    let imports = 0
    const api = direct('api', async () => {
      imports++
      return { default: Middleware }
    })
    const open = api()
    const guarded = api({ auth: 'api' })

    const answers = await Promise.all([
      open(new HttpContextFactory().create(), async () => 'open route'),
      guarded(new HttpContextFactory().create(), async () => 'guarded route'),
    ])
    assert.deepEqual(answers, ['open route', 'guarded route'])
    assert.equal(await guarded(new HttpContextFactory().create(), async () => 'again'), 'again')

    assert.deepEqual(seen, [undefined, { auth: 'api' }, { auth: 'api' }])
    assert.equal(Middleware.made, 1, 'made on first use, even by two requests at once')
    assert.equal(imports, 1)
  })

  test('one that does not call next answers the request; named as list:routes shows it', async ({
    assert,
  }) => {
    const refuse = direct('api', async () => ({ default: withOptions([]) }))({ auth: 'refuse' })
    let routeRan = false
    const answer = await refuse(new HttpContextFactory().create(), async () => {
      routeRan = true
    })
    assert.equal(answer, 'refused')
    assert.isFalse(routeRan)
    assert.equal(refuse.name, 'api')
  })

  test('made through the container: its bindings apply', async ({ assert }) => {
    const Middleware = withOptions([])
    const bound = new Middleware()
    app.container.bind(Middleware, () => bound)
    try {
      const api = direct('api', async () => ({ default: Middleware }))()
      await api(new HttpContextFactory().create(), async () => {})
      await api(new HttpContextFactory().create(), async () => {})
      assert.equal(Middleware.made, 1, 'only the bound instance, made before')
    } finally {
      app.container.restore(Middleware)
    }
  })
})

/** A controller counting the instances made; `show` answers with its own instance. */
function controller() {
  return class {
    static made = 0
    constructor() {
      ;(this.constructor as unknown as { made: number }).made++
    }
    show(ctx: HttpContext) {
      return { self: this, ctx }
    }
    async fail(_ctx: HttpContext): Promise<never> {
      throw new Error('the controller failed')
    }
    refuse(_ctx: HttpContext): never {
      throw new Error('refused synchronously')
    }
  }
}

test.group('Controllers called directly (action(), start/routes.ts)', () => {
  test('the method gets ctx and its own instance, made once for every request', async ({
    assert,
  }) => {
    const Controller = controller()
    let imports = 0
    const ReportsController = async () => {
      imports++
      return { default: Controller }
    }
    const show = action(ReportsController, 'show')
    const first = new HttpContextFactory().create()
    const second = new HttpContextFactory().create()

    const answers = await Promise.all([show(first), show(second)])
    const third = show(new HttpContextFactory().create())

    assert.strictEqual(answers[0].ctx, first)
    assert.strictEqual(answers[1].ctx, second)
    assert.instanceOf(answers[0].self, Controller, 'called on the instance (`this` kept)')
    assert.notInstanceOf(third, Promise, 'once made, the answer is the method’s own')
    assert.equal(Controller.made, 1, 'made on first use, even by two requests at once')
    assert.equal(imports, 1)
    assert.equal(show.name, 'ReportsController.show', 'the name node ace list:routes shows')
  })

  test('made through the container: its bindings apply', async ({ assert }) => {
    const Controller = controller()
    const bound = new Controller()
    app.container.bind(Controller, () => bound)
    try {
      const show = action(async () => ({ default: Controller }), 'show')
      const answer = await show(new HttpContextFactory().create())
      assert.strictEqual(answer.self, bound)
      assert.equal(Controller.made, 1, 'only the bound instance, made before')
    } finally {
      app.container.restore(Controller)
    }
  })

  test("an error goes up to the framework's error handling; a failed import is tried again", async ({
    assert,
  }) => {
    const Controller = controller()
    let attempts = 0
    const flakyImport = async () => {
      if (++attempts === 1) throw new Error('cannot import')
      return { default: Controller }
    }
    const fail = action(flakyImport, 'fail')

    await assert.rejects(() => fail(new HttpContextFactory().create()), 'cannot import')
    await assert.rejects(() => fail(new HttpContextFactory().create()), 'the controller failed')
    assert.equal(attempts, 2)
  })

  test('an error thrown by a method that is not async comes back as a rejection', async ({
    assert,
  }) => {
    const refuse = action(async () => ({ default: controller() }), 'refuse')
    await assert.rejects(() => refuse(new HttpContextFactory().create()), 'refused synchronously')

    // Made by now: the synchronous path, which must not throw either.
    let answer: unknown
    assert.doesNotThrow(() => (answer = refuse(new HttpContextFactory().create())))
    assert.instanceOf(answer, Promise)
    await assert.rejects(() => answer as Promise<unknown>, 'refused synchronously')
  })
})
