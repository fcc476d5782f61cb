import { LRUCache } from 'lru-cache'
import string from '@adonisjs/core/helpers/string'
import gatehouse from '#config/gatehouse'

export interface TokenCacheConfig {
  /** false = TOKEN_CACHE=off: every authenticated request reads the database. */
  enabled: boolean
  ttl: string
  maxEntries: number
}

/** What one change names: every token of one user, or everything ('*'). */
export type Change = number | '*'

/**
 * A verified token joined with its user: the columns authentication and the
 * controllers read, never the password hash. Dates as the driver returns them.
 */
export interface CachedRow {
  id: number
  t_id: number
  [column: string]: unknown
}

/**
 * How a process learns about changes another connection made (see
 * app/services/auth_changes.ts). `sync()` brings the cache up to date before
 * it answers; it returns a promise only when it must wait for the database.
 */
export interface ChangeFeed {
  readonly up: boolean
  /** false while a write of this process may not have been reported yet (PostgreSQL). */
  readonly fresh?: boolean
  sync(): void | Promise<void>
  stop(): Promise<void>
}

interface Entry {
  row: CachedRow
  /** When the entry is read from the database again (Date.now() ms). */
  expiresAt: number
}

/**
 * Each entry lives between (1 - EXPIRY_SPREAD) × TTL and the TTL, at random:
 * entries stored together (every client's first request after a restart or
 * a cache flush) do not all expire in the same instant, when each of their
 * next requests would read the database again at once (the p99 spikes of
 * `npm run bench`: one 2-second round in nine, ~30 s after the keys were
 * first read, 5-27× the other rounds' p99). Never longer than the TTL.
 */
export const EXPIRY_SPREAD = 0.2

/**
 * An in-process LRU/TTL cache of verified tokens, keyed by the SHA-256 hash
 * of the key (the key itself is never kept; a hash does not authenticate),
 * indexed by user so "every token of user N" is one lookup.
 *
 * It answers only while its change feed is up, after the feed has caught
 * up: the database triggers report every change that can make a token
 * unusable, whoever made it. Expiry is checked by the caller on every hit.
 * A read that raced with a change is not stored (the generation counter).
 *
 * The recency order is lru-cache's (a linked list in typed arrays): a hit
 * changes no Map. Kept in a Map's insertion order (a delete and a set per
 * hit), hits on tokens taken in turn made the Map rebuild its table every
 * few requests, and those tables went to the old generation: ~70 bytes per
 * request, a full mark-compact every few seconds under load, with pauses of
 * 5-10 ms in the protected route's p99.
 */
export class TokenCache {
  #entries: LRUCache<string, Entry>
  #byUser = new Map<number, Set<string>>()
  #ttlMs: number
  feed?: ChangeFeed
  /** Bumped by every eviction: reads begun before it are not stored. */
  generation = 0

  constructor(public config: TokenCacheConfig = gatehouse.tokenCache) {
    this.#ttlMs = string.seconds.parse(config.ttl) * 1000
    this.#entries = new LRUCache<string, Entry>({
      max: Math.max(1, config.maxEntries),
      // However an entry goes (least recently used, replaced, deleted), its index goes with it.
      dispose: (entry, hash) => this.#unindex(hash, entry),
    })
  }

  /** True when this process may answer from the cache right now. */
  get serving(): boolean {
    return this.config.enabled && this.feed?.up === true && this.feed.fresh !== false
  }

  get size() {
    return this.#entries.size
  }

  /** Applies every change committed so far; a promise only when it must wait. */
  sync(): void | Promise<void> {
    if (this.config.enabled && this.feed?.up) return this.feed.sync()
  }

  get(hash: string): CachedRow | undefined {
    if (!this.serving) return undefined
    const entry = this.#entries.get(hash)
    if (!entry) return undefined
    if (Date.now() >= entry.expiresAt) {
      this.#entries.delete(hash)
      return undefined
    }
    return entry.row
  }

  /** Stores a row read while `generation` was current; dropped if anything was evicted since. */
  set(hash: string, row: CachedRow, generation: number) {
    if (!this.serving || generation !== this.generation || this.config.maxEntries < 1) return
    // Replaces an entry of the same hash, or drops the least recently used one when full.
    const lifetime = this.#ttlMs * (1 - EXPIRY_SPREAD * Math.random())
    this.#entries.set(hash, { row, expiresAt: Date.now() + lifetime })
    const userId = Number(row.id)
    let hashes = this.#byUser.get(userId)
    if (!hashes) this.#byUser.set(userId, (hashes = new Set()))
    hashes.add(hash)
  }

  /** Applies one change reported by the database (or made by this process). */
  evict(change: Change) {
    this.generation++
    if (change === '*') {
      this.#byUser.clear()
      this.#entries.clear()
      return
    }
    const hashes = this.#byUser.get(change)
    if (!hashes) return
    this.#byUser.delete(change)
    for (const hash of hashes) this.#entries.delete(hash)
  }

  clear() {
    this.evict('*')
  }

  #unindex(hash: string, entry: Entry) {
    const userId = Number(entry.row.id)
    const hashes = this.#byUser.get(userId)
    hashes?.delete(hash)
    if (hashes?.size === 0) this.#byUser.delete(userId)
  }
}

export default new TokenCache()
