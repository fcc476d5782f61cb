import limiter from '@adonisjs/limiter/services/main'

/**
 * Forgets every login throttle counter of the configured store, so failed
 * sign-ins in one test never throttle the next. Memory: cleared. Redis: only
 * Gatehouse's throttle keys are deleted (the store's own clear() would flush
 * the whole Redis database). Database: the rate_limits table is emptied.
 */
export async function resetThrottle() {
  const store = limiter.config.default
  if (store === 'memory') return limiter.clear(['memory'])
  if (store === 'database') return limiter.clear(['database'])

  const { default: redis } = await import('@adonisjs/redis/services/main')
  const keys = await redis.keys('gatehouse:throttle:*')
  if (keys.length > 0) await redis.del(...keys)
}
