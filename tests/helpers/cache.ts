import tokenCache from '#services/token_cache'

/** Waits (bounded) until the token cache answers: on PostgreSQL its LISTEN connection is up. */
export async function untilCacheServes() {
  for (let i = 0; i < 200 && !tokenCache.serving; i++) {
    tokenCache.sync()
    await new Promise((resolve) => setTimeout(resolve, 50))
  }
  if (!tokenCache.serving) throw new Error('the token cache never started serving')
}
