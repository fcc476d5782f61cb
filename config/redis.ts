/*
|--------------------------------------------------------------------------
| Redis (shared state between app processes)
|--------------------------------------------------------------------------
|
| Used for the token cache's invalidation messages (pub/sub). The client
| connects lazily, on first use: a process that never needs Redis never
| opens a connection. Reconnects forever with a capped back-off; while the
| connection is down the token cache is off (see app/services/token_cache.ts).
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
        return Math.min(times * 100, 2000)
      },
    },
  },
})

export default redisConfig

declare module '@adonisjs/redis/types' {
  export interface RedisConnections extends InferConnections<typeof redisConfig> {}
}
