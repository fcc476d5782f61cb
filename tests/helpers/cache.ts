import tokenCache, { type TokenCache } from '#services/token_cache'

/** Waits (bounded) until a token cache answers (the app's by default): on PostgreSQL its LISTEN connection is up. */
export async function untilCacheServes(cache: TokenCache = tokenCache) {
  for (let i = 0; i < 200 && !cache.serving; i++) {
    cache.sync()
    await new Promise((resolve) => setTimeout(resolve, 50))
  }
  if (!cache.serving) throw new Error('the token cache never started serving')
}
