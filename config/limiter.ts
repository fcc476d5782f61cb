/*
|--------------------------------------------------------------------------
| Rate limiting (DEFAULT_THROTTLE_RATES)
|--------------------------------------------------------------------------
|
| Where the login throttle keeps its counters. "memory" (the default) holds
| for one process only; with several processes use "redis" or "database"
| so the limits hold across all of them. The limits themselves are in
| config/gatehouse.ts (throttle).
|
*/

import env from '#start/env'
import { defineConfig, stores } from '@adonisjs/limiter'
import type { InferLimiters } from '@adonisjs/limiter/types'

const limiterConfig = defineConfig({
  default: env.get('LIMITER_STORE', 'memory'),
  stores: {
    /** Redis (REDIS_HOST/REDIS_PORT), keys prefixed "gatehouse:throttle". */
    redis: stores.redis({ connectionName: 'main', keyPrefix: 'gatehouse:throttle' }),
    /** The app's own database, table rate_limits (see its migration). */
    database: stores.database({ tableName: 'rate_limits' }),
    /** One process only: counters are lost on restart. */
    memory: stores.memory({}),
  },
})

export default limiterConfig

declare module '@adonisjs/limiter/types' {
  export interface LimitersList extends InferLimiters<typeof limiterConfig> {}
}
