import { test } from '@japa/runner'
import { TokenCache, type CachedRow } from '#services/token_cache'

function memoryCache(maxEntries = 10) {
  return new TokenCache({ mode: 'memory', ttl: '30s', maxEntries, channel: 'unused' })
}

function row(userId: number, tokenId: number): CachedRow {
  return { id: userId, t_id: tokenId }
}

test.group('TokenCache', () => {
  test('serves nothing when off', ({ assert }) => {
    const cache = new TokenCache({ mode: 'off', ttl: '30s', maxEntries: 10, channel: 'unused' })
    cache.set('h1', row(1, 1), cache.generation)
    assert.isUndefined(cache.get('h1'))
    assert.equal(cache.size, 0)
  })

  test('redis mode serves nothing until it is subscribed', ({ assert }) => {
    const cache = new TokenCache({ mode: 'redis', ttl: '30s', maxEntries: 10, channel: 'unused' })
    assert.isFalse(cache.serving)
    cache.set('h1', row(1, 1), cache.generation)
    assert.isUndefined(cache.get('h1'))
  })

  test('returns what was stored, by hash', ({ assert }) => {
    const cache = memoryCache()
    cache.set('h1', row(1, 10), cache.generation)
    assert.deepEqual(cache.get('h1'), row(1, 10))
    assert.isUndefined(cache.get('h2'))
  })

  test('evicts by token id and by user id', ({ assert }) => {
    const cache = memoryCache()
    cache.set('a', row(1, 10), cache.generation)
    cache.set('b', row(1, 11), cache.generation)
    cache.set('c', row(2, 20), cache.generation)

    cache.evict({ kind: 'token', id: 10 })
    assert.isUndefined(cache.get('a'))
    assert.isDefined(cache.get('b'))

    cache.evict({ kind: 'user', id: 1 })
    assert.isUndefined(cache.get('b'))
    assert.isDefined(cache.get('c'))
  })

  test('a read that raced with an invalidation is not stored', ({ assert }) => {
    const cache = memoryCache()
    const before = cache.generation
    cache.evict({ kind: 'token', id: 10 })
    cache.set('a', row(1, 10), before)
    assert.isUndefined(cache.get('a'))
  })

  test('keeps at most maxEntries, dropping the least recently used', ({ assert }) => {
    const cache = memoryCache(2)
    cache.set('a', row(1, 1), cache.generation)
    cache.set('b', row(2, 2), cache.generation)
    cache.get('a')
    cache.set('c', row(3, 3), cache.generation)
    assert.equal(cache.size, 2)
    assert.isDefined(cache.get('a'))
    assert.isUndefined(cache.get('b'))
    assert.isDefined(cache.get('c'))
  })

  test('drops entries older than the TTL', ({ assert, cleanup }) => {
    const cache = memoryCache()
    cache.set('a', row(1, 1), cache.generation)
    const realNow = Date.now
    cleanup(() => {
      Date.now = realNow
    })
    Date.now = () => realNow() + 31_000
    assert.isUndefined(cache.get('a'))
  })
})
