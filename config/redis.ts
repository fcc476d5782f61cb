/*
|--------------------------------------------------------------------------
| Redis
|--------------------------------------------------------------------------
|
| Used by SESSION_DRIVER=redis and LIMITER_STORE=redis (the token cache
| needs no Redis: the database tells it about changes). Connections are
| opened on first use, so an app that does not use Redis never connects.
| A lost connection is retried forever (at most every 2 s).
|
*/

import env from '#start/env'
import { defineConfig } from '@adonisjs/redis'
import type { InferConnections } from '@adonisjs/redis/types'

const redisConfig = defineConfig({
  connection: 'main',

  connections: {
    main: {
      host: env.get('REDIS_HOST', '127.0.0.1'),
      port: env.get('REDIS_PORT', 6379),
      password: env.get('REDIS_PASSWORD', ''),
      db: 0,
      keyPrefix: '',
      retryStrategy(times) {
        return Math.min(times * 50, 2000)
      },
      // While disconnected, a command fails after a few retries instead of waiting.
      maxRetriesPerRequest: 3,
    },
  },
})

export default redisConfig

declare module '@adonisjs/redis/types' {
  export interface RedisConnections extends InferConnections<typeof redisConfig> {}
}
