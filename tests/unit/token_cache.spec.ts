import { test } from '@japa/runner'
import { createHash } from 'node:crypto'
import v8 from 'node:v8'
import { runInNewContext } from 'node:vm'
import { EXPIRY_SPREAD, TokenCache, type CachedRow, type ChangeFeed } from '#services/token_cache'
import { mayChangeAuth } from '#services/auth_changes'

/** A feed the test drives: up or down, fresh or not. */
class FakeFeed implements ChangeFeed {
  up = true
  fresh = true
  syncs = 0
  sync() {
    this.syncs++
  }
  async stop() {}
}

function cacheWith(feed: ChangeFeed | undefined = new FakeFeed(), maxEntries = 10, enabled = true) {
  const cache = new TokenCache({ enabled, ttl: '30s', maxEntries })
  cache.feed = feed
  return cache
}

function row(userId: number, tokenId: number): CachedRow {
  return { id: userId, t_id: tokenId }
}

test.group('TokenCache', () => {
  test('serves nothing when off (TOKEN_CACHE=off)', ({ assert }) => {
    const cache = cacheWith(new FakeFeed(), 10, false)
    cache.set('h1', row(1, 1), cache.generation)
    assert.isUndefined(cache.get('h1'))
    assert.equal(cache.size, 0)
  })

  test('serves nothing without a change feed, or while it is down', ({ assert }) => {
    const none = cacheWith()
    none.feed = undefined
    none.set('h1', row(1, 1), none.generation)
    assert.isUndefined(none.get('h1'))

    const feed = new FakeFeed()
    const cache = cacheWith(feed)
    cache.set('h1', row(1, 1), cache.generation)
    feed.up = false
    assert.isFalse(cache.serving)
    assert.isUndefined(cache.get('h1'))
  })

  test('serves nothing while a write of this process is unreported', ({ assert }) => {
    const feed = new FakeFeed()
    const cache = cacheWith(feed)
    cache.set('h1', row(1, 1), cache.generation)
    feed.fresh = false
    assert.isUndefined(cache.get('h1'))
    feed.fresh = true
    assert.deepEqual(cache.get('h1'), row(1, 1))
  })

  test('sync() asks the feed only when it is up', ({ assert }) => {
    const feed = new FakeFeed()
    const cache = cacheWith(feed)
    cache.sync()
    feed.up = false
    cache.sync()
    assert.equal(feed.syncs, 1)
  })

  test('returns what was stored, by hash', ({ assert }) => {
    const cache = cacheWith()
    cache.set('h1', row(1, 10), cache.generation)
    assert.deepEqual(cache.get('h1'), row(1, 10))
    assert.isUndefined(cache.get('h2'))
  })

  test('evicts every token of one user, and only theirs', ({ assert }) => {
    const cache = cacheWith()
    cache.set('a', row(1, 10), cache.generation)
    cache.set('b', row(1, 11), cache.generation)
    cache.set('c', row(2, 20), cache.generation)

    cache.evict(1)
    assert.isUndefined(cache.get('a'))
    assert.isUndefined(cache.get('b'))
    assert.isDefined(cache.get('c'))
    assert.equal(cache.size, 1)

    cache.evict('*')
    assert.equal(cache.size, 0)
  })

  test('a read that raced with a change is not stored', ({ assert }) => {
    const cache = cacheWith()
    const before = cache.generation
    cache.evict(7)
    cache.set('a', row(1, 10), before)
    assert.isUndefined(cache.get('a'))
  })

  test('keeps at most maxEntries, dropping the least recently used, index included', ({
    assert,
  }) => {
    const cache = cacheWith(new FakeFeed(), 2)
    cache.set('a', row(1, 1), cache.generation)
    cache.set('b', row(2, 2), cache.generation)
    cache.get('a')
    cache.set('c', row(3, 3), cache.generation)
    assert.equal(cache.size, 2)
    assert.isDefined(cache.get('a'))
    assert.isUndefined(cache.get('b'))
    assert.isDefined(cache.get('c'))
    // b's user index went with it: a later eviction of user 2 finds nothing to remove.
    cache.evict(2)
    assert.equal(cache.size, 2)
  })

  test('hits on tokens taken in turn leave nothing for the young-generation GC to promote', ({
    assert,
  }) => {
    // Each request brings its hash as a new string; clients' tokens come in turn. Kept in a
    // Map's insertion order (a delete and a set per hit), the Map rebuilt its table every few
    // hits and the tables were promoted: ~70 bytes per request, then full GCs to reclaim them.
    const cache = cacheWith(new FakeFeed(), 1000)
    const keys = Array.from({ length: 32 }, (_, i) => `gth_key_${i}`)
    const hashOf = (key: string) => createHash('sha256').update(key).digest('base64url')
    keys.forEach((key, i) => cache.set(hashOf(key), row(i + 1, i + 1), cache.generation))
    v8.setFlagsFromString('--expose-gc')
    const gc = runInNewContext('gc') as (options?: { type: 'minor' | 'major' }) => void
    const oldSpace = () =>
      v8.getHeapSpaceStatistics().find((space) => space.space_name === 'old_space')!.space_used_size
    let hits = 0
    const hit = (i: number) => {
      if (cache.get(hashOf(keys[i % keys.length]))) hits++
    }

    for (let i = 0; i < 20_000; i++) hit(i)
    gc()
    const before = oldSpace()
    for (let i = 1; i <= 100_000; i++) {
      hit(i)
      if (i % 1000 === 0) gc({ type: 'minor' })
    }
    gc({ type: 'minor' })
    gc({ type: 'minor' })
    const promotedKb = (oldSpace() - before) / 1024
    assert.equal(hits, 120_000)
    assert.isBelow(promotedKb, 512, `${Math.round(promotedKb)} KB promoted by 100,000 hits`)
  })

  test('TOKEN_CACHE_SIZE=0 stores nothing', ({ assert }) => {
    const cache = cacheWith(new FakeFeed(), 0)
    cache.set('a', row(1, 1), cache.generation)
    assert.isUndefined(cache.get('a'))
    assert.equal(cache.size, 0)
  })

  test('hits on the entry used last keep it the most recently used', ({ assert }) => {
    const cache = cacheWith(new FakeFeed(), 2)
    cache.set('a', row(1, 1), cache.generation)
    cache.set('b', row(2, 2), cache.generation)
    cache.get('b')
    cache.get('a')
    cache.get('a')
    cache.set('c', row(3, 3), cache.generation)
    assert.isDefined(cache.get('a'))
    assert.isUndefined(cache.get('b'), 'b was the least recently used')
    // The newest entry evicted, then the one left used: the order is still right.
    cache.evict(3)
    cache.set('d', row(4, 4), cache.generation)
    cache.get('a')
    cache.set('e', row(5, 5), cache.generation)
    assert.isDefined(cache.get('a'))
    assert.isUndefined(cache.get('d'))
  })

  test('drops entries older than the TTL', ({ assert, cleanup }) => {
    const cache = cacheWith()
    cache.set('a', row(1, 1), cache.generation)
    const realNow = Date.now
    cleanup(() => {
      Date.now = realNow
    })
    Date.now = () => realNow() + 31_000
    assert.isUndefined(cache.get('a'))
    assert.equal(cache.size, 0)
  })

  test('entries stored together expire spread over the last fifth of the TTL, never later', ({
    assert,
    cleanup,
  }) => {
    const cache = cacheWith(new FakeFeed(), 100)
    const realNow = Date.now
    const start = realNow()
    let now = start
    Date.now = () => now
    cleanup(() => {
      Date.now = realNow
    })
    for (let i = 0; i < 40; i++) cache.set(`h${i}`, row(i, i), cache.generation)
    const present = () => Array.from({ length: 40 }, (_, i) => `h${i}`).filter((h) => cache.get(h))

    now = start + 30_000 * (1 - EXPIRY_SPREAD) - 1
    assert.lengthOf(present(), 40, 'none expires before 80% of the TTL')
    // Half-way through the spread: some have expired and some have not (all 40 on one side
    // has a chance of 2 in 2^40).
    now = start + 30_000 * (1 - EXPIRY_SPREAD / 2)
    const halfway = present().length
    assert.isAbove(halfway, 0)
    assert.isBelow(halfway, 40)
    now = start + 30_000
    assert.lengthOf(present(), 0, 'none outlives the TTL')
  })
})

test.group('mayChangeAuth (PostgreSQL: which statements of this process fence the cache)', () => {
  test('writes to users and tokens, commits and truncations do', ({ assert }) => {
    for (const sql of [
      'delete from "auth_access_tokens" where "id" = $1',
      'update "users" set "is_active" = $1, "updated_at" = $2 where "id" = $3',
      'update "auth_access_tokens" set "expires_at" = $1 where "id" = $2',
      'UPDATE users SET password = $1 WHERE id = $2',
      'TRUNCATE "users", "auth_access_tokens" RESTART IDENTITY CASCADE',
      'COMMIT;',
    ]) {
      assert.isTrue(mayChangeAuth(sql), sql)
    }
  })

  test('reads, inserts, sign-ins and last-used writes do not', ({ assert }) => {
    for (const sql of [
      'select * from "users" where "id" = $1',
      'insert into "auth_access_tokens" ("hash") values ($1)',
      'update "users" set "last_login_at" = $1, "updated_at" = $2 where "id" = $3',
      'update "auth_access_tokens" set "last_used_at" = $1, "last_used_ip" = $2, "last_used_agent" = $3 where "id" = $4',
      'update "rate_limits" set "points" = $1 where "key" = $2',
    ]) {
      assert.isFalse(mayChangeAuth(sql), sql)
    }
  })
})
