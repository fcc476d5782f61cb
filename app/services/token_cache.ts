import string from '@adonisjs/core/helpers/string'
import logger from '@adonisjs/core/services/logger'
import redis from '@adonisjs/redis/services/main'
import gatehouse from '#config/gatehouse'

export type TokenCacheMode = 'off' | 'memory' | 'redis'

export interface TokenCacheConfig {
  mode: TokenCacheMode
  ttl: string
  maxEntries: number
  channel: string
}

/** What one invalidation message names: a token, every token of a user, or everything. */
export type Invalidation = { kind: 'token'; id: number } | { kind: 'user'; id: number }

/** A verified token row (token joined with its user), as TokenService reads it. */
export interface CachedRow {
  id: number
  t_id: number
  [column: string]: unknown
}

interface Entry {
  row: CachedRow
  storedAt: number
}

const PUBLISH_TIMEOUT_MS = 2000

/**
 * An in-process LRU/TTL cache of verified tokens, keyed by the SHA-256 hash
 * of the key (the key itself is never kept; a hash does not authenticate).
 *
 * Correctness across processes: every change that can make a token unusable
 * (revocation, a user saved or deleted) is published on a Redis channel and
 * evicts matching entries in every subscribed process. A process serves from
 * the cache only while its subscription is up; when Redis is unreachable it
 * empties the cache and every request goes to the database. Expiry is checked
 * by the caller on every hit. A read that raced with an invalidation is not
 * stored (the generation counter), so a stale row cannot re-enter the cache.
 */
export class TokenCache {
  #entries = new Map<string, Entry>()
  #ttlMs: number
  #subscribed = false
  #started = false
  /** Bumped by every invalidation: reads begun before it are not stored. */
  generation = 0

  constructor(public config: TokenCacheConfig = gatehouse.tokenCache) {
    this.#ttlMs = string.seconds.parse(config.ttl) * 1000
  }

  /** True when this process may answer from the cache right now. */
  get serving(): boolean {
    if (this.config.mode === 'memory') return true
    return this.config.mode === 'redis' && this.#subscribed
  }

  get size() {
    return this.#entries.size
  }

  get(hash: string): CachedRow | undefined {
    if (!this.serving) return undefined
    const entry = this.#entries.get(hash)
    if (!entry) return undefined
    if (Date.now() - entry.storedAt >= this.#ttlMs) {
      this.#entries.delete(hash)
      return undefined
    }
    // Re-insert: a Map iterates in insertion order, so the first key is the least recently used.
    this.#entries.delete(hash)
    this.#entries.set(hash, entry)
    return entry.row
  }

  /** Stores a row read while `generation` was current; dropped if anything was invalidated since. */
  set(hash: string, row: CachedRow, generation: number) {
    if (!this.serving || generation !== this.generation) return
    this.#entries.delete(hash)
    this.#entries.set(hash, { row, storedAt: Date.now() })
    if (this.#entries.size > this.config.maxEntries) {
      this.#entries.delete(this.#entries.keys().next().value!)
    }
  }

  clear() {
    this.generation++
    this.#entries.clear()
  }

  /** Evicts here, then tells every other process (redis mode). */
  async invalidate(message: Invalidation) {
    this.evict(message)
    if (this.config.mode !== 'redis') return
    try {
      await Promise.race([
        redis.publish(this.config.channel, JSON.stringify(message)),
        new Promise((_, reject) =>
          setTimeout(() => reject(new Error('timed out')), PUBLISH_TIMEOUT_MS).unref()
        ),
      ])
    } catch (error) {
      logger.error(
        { err: error },
        'token cache: could not publish an invalidation; other processes may accept the %s %d for up to %s',
        message.kind,
        message.id,
        this.config.ttl
      )
    }
  }

  /** Applies an invalidation to this process's entries. */
  evict(message: Invalidation) {
    this.generation++
    const column = message.kind === 'token' ? 't_id' : 'id'
    for (const [hash, entry] of this.#entries) {
      if (Number(entry.row[column]) === message.id) this.#entries.delete(hash)
    }
  }

  /**
   * Subscribes to the invalidation channel (web processes, redis mode). The
   * cache serves only while subscribed: each (re)subscription starts empty,
   * because messages may have been missed while the connection was down.
   */
  start() {
    if (this.config.mode !== 'redis' || this.#started) return
    this.#started = true
    const connection = redis.connection()

    const down = () => {
      this.#subscribed = false
      this.clear()
    }
    const up = async () => {
      // Commands on one connection run in order: once this resolves, the
      // channel is subscribed (again) and nothing published from now on is missed.
      await connection.ioSubscriberConnection?.subscribe(this.config.channel)
      this.clear()
      this.#subscribed = true
    }

    connection.on('subscriber:close', down)
    connection.on('subscriber:end', down)
    connection.on('subscriber:ready', () => up().catch(down))
    connection.subscribe(this.config.channel, (message: string) => this.#receive(message), {
      onSubscription: () => up().catch(down),
      onError: down,
    })
  }

  #receive(message: string) {
    let parsed: Partial<Invalidation> = {}
    try {
      parsed = JSON.parse(message)
    } catch {}
    if ((parsed.kind === 'token' || parsed.kind === 'user') && Number.isInteger(parsed.id)) {
      this.evict(parsed as Invalidation)
    } else {
      this.clear()
    }
  }
}

export default new TokenCache()
