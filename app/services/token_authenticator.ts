import { DateTime, Settings } from 'luxon'
import type { Secret } from '@adonisjs/core/helpers'
import string from '@adonisjs/core/helpers/string'
import db from '@adonisjs/lucid/services/db'
import { sqlTimestamp } from '#services/sql'
import gatehouse from '#config/gatehouse'
import AccessToken from '#models/access_token'
import User from '#models/user'
import { hashKey, isDrfKey, isWellFormedKey, sameKey } from '#services/token_key'
import tokenCache, { type CachedRow } from '#services/token_cache'
import { countTokenCacheLookup } from '#services/metrics'
import { attributesJson, userJson } from '#transformers/user_transformer'
import {
  SqliteChangeLog,
  type SqliteConnection,
  type SqliteStatement,
} from '#services/auth_changes'

export type AuthenticationResult =
  | {
      ok: true
      user: User
      token: AccessToken
      /** The user's public JSON, when the authenticator has it without building `user`. */
      userJson?(): string
    }
  | { ok: false; reason: 'invalid' | 'inactive' }
  | { ok: false; reason: 'expired'; tokenId: number; userId: number }

/** Where a request came from; read only when last_used_at is written. */
export type ClientInfo = () => { ip?: string; agent?: string }

/** Longest User-Agent kept in last_used_agent. */
export const AGENT_MAX_LENGTH = 200

const INVALID = { ok: false, reason: 'invalid' } as const
const TABLE = AccessToken.table

/** The one lookup: a token by hash joined with its user, without the password hash. */
const LOOKUP = `SELECT u.*, t.id AS t_id, t.name AS t_name, t.abilities AS t_abilities,
  t.hint AS t_hint, t.created_at AS t_created_at, t.updated_at AS t_updated_at,
  t.last_used_at AS t_last_used_at, t.expires_at AS t_expires_at
  FROM ${TABLE} t JOIN users u ON u.id = t.tokenable_id WHERE t.hash = ? AND t.type = ?`

/**
 * What the cache keeps per token: the user's and the token's model
 * attributes, parsed once (Lucid's hydration parses every date with Luxon:
 * ~10× the cost of copying them), plus what every request checks.
 */
interface Verified extends CachedRow {
  user: ModelAttributes
  token: ModelAttributes
  /** The token's attributes holding arrays (abilities), found once: copied on each revival. */
  tokenArrays: string[]
  isActive: boolean
  expiresAt: number | null
  lastUsedAt: number | null
  /** The user's public JSON, written when first asked for (the entry's attributes never change). */
  userJson: string | undefined
}

type ModelAttributes = Record<string, unknown>

type Revivable = typeof User | typeof AccessToken

/** Per model, the `new.target` that builds it as loaded from the database (see persistedTarget). */
const persistedTargets = new Map<Revivable, new () => unknown>()

/** While revive() constructs a model, the object whose `constructor` was read: Lucid's own. */
let reviving = false
let revived: object | undefined

/**
 * The `new.target` that builds `model` already persisted: an instance of
 * the model whose prototype chain has one more link, with a `constructor`
 * getter that returns the model. Lucid's BaseModel constructor reads
 * `this.constructor` on the model's own object before it wraps that object
 * in its proxy; the getter, called there, marks the object as loaded from
 * the database ($isPersisted, $isLocal: what Lucid's own hydration sets),
 * once (Lucid never makes a model local again), and remembers the object so
 * that revive() fills it directly. Set through the proxy, each flag went
 * through its defineProperty trap (~10k instructions per cached request,
 * callgrind); giving the object the model's own prototype back from the
 * getter cost ~7k of those 10k again, so the link stays: nothing in Lucid,
 * auth or Gatehouse compares prototypes (`instanceof` and `constructor` are
 * the model's). Should Lucid ever read `constructor` only through its proxy,
 * the getter runs on the first property read instead: slower, same result
 * (tests/unit/token_revive.spec.ts).
 */
function persistedTarget(model: Revivable): new () => unknown {
  let target = persistedTargets.get(model)
  if (!target) {
    const prototype = Object.create(model.prototype, {
      constructor: {
        get(this: InstanceType<Revivable>) {
          if (reviving) revived = this
          if (this.$isLocal) {
            this.$isPersisted = true
            this.$isLocal = false
          }
          return model
        },
      },
    })
    target = function PersistedModel() {} as unknown as new () => unknown
    target.prototype = prototype
    persistedTargets.set(model, target)
  }
  return target
}

/**
 * A persisted model from attributes parsed earlier (dates are immutable
 * Luxon objects: shared safely), with `extras` (a fresh object) as its `$extras`. Filled on
 * Lucid's own object, behind its proxy: each property read through the
 * proxy costs two `boot()` checks, two map lookups and a `Reflect.get`
 * (~600 instructions), three per request saved. If the constructor did not
 * read `constructor` on its own object (a future Lucid), through the proxy.
 */
export function revive<Model extends Revivable>(
  model: Model,
  attributes: ModelAttributes,
  arrays: string[] = [],
  extras?: object
): InstanceType<Model> {
  reviving = true
  revived = undefined
  const instance = Reflect.construct(model, [], persistedTarget(model)) as InstanceType<Model>
  reviving = false
  const target = (revived ?? instance) as InstanceType<Model>
  revived = undefined
  // Copies of the cached objects (same shape: V8 clones them whole, where Object.assign stores
  // each property through a generic path); plain stores on Lucid's own object, no trap.
  const own = (target.$attributes = { ...attributes })
  // Arrays (abilities) are copied: a caller changing its copy must not change the cache.
  for (const name of arrays) own[name] = [...(attributes[name] as unknown[])]
  target.$original = { ...own }
  if (extras) target.$extras = extras
  return instance
}

/**
 * A key accepted. The user and token models are built when first asked
 * for: a cached request that only needs the user's public JSON (`/me`,
 * `/protected`) or nothing about the user at all never builds one (a
 * Lucid model is a proxy, its stores and its constructor chain: ~4k
 * instructions, callgrind). Once built, the same model is answered for the
 * rest of the request, so a change made to it is seen by whoever reads it
 * next, userJson() included.
 *
 * A class, not an object literal with getters: V8 keeps a literal's
 * accessor in a hidden class of its own, so each request's getter (and,
 * through its closure, that request's user) stayed referenced until the next
 * full GC. Minor GCs count that reference: every user answered since the last
 * one was copied and promoted (~1 MB per minor GC under load, then concurrent
 * marking to reclaim it). As a class: ~216 -> ~191 µs of CPU per cached
 * request under load (6 interleaved runs); tests/functional/token_cache.spec.ts
 * checks that answers leave nothing for the minor GC to promote.
 */
class Verification {
  readonly ok = true
  #row: Verified
  #user: User | undefined = undefined

  constructor(row: Verified) {
    this.#row = row
  }

  get user(): User {
    if (this.#user) return this.#user
    const { user, token: tokenAttributes, tokenArrays } = this.#row
    const token = User.accessTokenExtras(() => revive(AccessToken, tokenAttributes, tokenArrays))
    return (this.#user = revive(User, user, [], token))
  }

  get token(): AccessToken {
    return this.user.currentAccessToken!
  }

  /** The user's public JSON: the cache entry's, unless the model was built (then the model's, as it is now). */
  userJson(): string {
    if (this.#user) return userJson(this.#user)
    const row = this.#row
    return (row.userJson ??= attributesJson(row.user))
  }
}

/** A parsed timestamp in ms; `unreadable` when it could not be parsed. */
function millis(value: DateTime | null, unreadable: number | null): number | null {
  if (!value) return null
  return value.isValid ? value.toMillis() : unreadable
}

/**
 * The request path of token authentication, and nothing else: checksum →
 * cache → (on a miss) one lookup → checks. 0 queries on a cache hit; the
 * only write is last_used_at (with the client's IP and agent), at most once
 * per TOKEN_LAST_USED_RESOLUTION per token. Malformed keys and bad
 * checksums are refused without touching the database.
 */
export class TokenAuthenticator {
  #resolutionMs: number
  /** Database lookups made (cache misses), counted for tests and `npm run bench`. */
  lookups = 0
  /** Of which on the prepared SQLite statement, outside Lucid (no db:query event). */
  preparedLookups = 0
  /** Well-formed keys hashed (not already known on their connection), counted for tests. */
  keysHashed = 0
  #prepared?: { connection: SqliteConnection; statement: SqliteStatement }
  /**
   * The last well-formed key each client connection presented, with its
   * hash: a keep-alive client sends the same Authorization header on every
   * request, and the checksum and SHA-256 of its key (~3% of a cached
   * request's time under load, perf) are then not computed again. The
   * hash is a pure function of the key, so the memo needs no invalidation:
   * whether the key is still good is asked of the cache as before. A key
   * hits only when it equals its connection's last one, compared whole
   * (never a fingerprint) and in constant time (sameKey(): on a connection a
   * proxy shares between clients, the last key may be someone else's). It
   * lives as long as that connection (WeakMap: nothing is kept once the
   * socket is gone).
   */
  #keyOfConnection = new WeakMap<object, { value: string; hash: string }>()

  constructor(
    private config = gatehouse.tokens,
    private cache = tokenCache
  ) {
    this.#resolutionMs = string.seconds.parse(config.lastUsedResolution) * 1000
  }

  /**
   * The answer for a key: synchronous when no I/O is needed (a malformed key,
   * a cache hit with last_used_at fresh enough: most requests), a promise
   * otherwise. Each async layer costs a promise and a turn of the microtask
   * queue per request; callers `await` either.
   */
  authenticate(
    key: Secret<string>,
    client?: ClientInfo,
    connection?: object
  ): AuthenticationResult | Promise<AuthenticationResult> {
    const value = key.release()
    const known = connection && this.#keyOfConnection.get(connection)
    let hash: string
    if (known !== undefined && sameKey(known.value, value)) {
      hash = known.hash
    } else {
      if (!isWellFormedKey(this.config.prefix, value) && !isDrfKey(value)) return INVALID
      hash = hashKey(value)
      this.keysHashed++
      if (connection) this.#keyOfConnection.set(connection, { value, hash })
    }
    const catchingUp = this.cache.sync()
    if (catchingUp) return catchingUp.then(() => this.#fromCache(hash, client))
    return this.#fromCache(hash, client)
  }

  #fromCache(hash: string, client?: ClientInfo) {
    const generation = this.cache.generation
    const row = this.cache.get(hash) as Verified | undefined
    countTokenCacheLookup(row !== undefined)
    return row ? this.#answer(row, client) : this.#fromDatabase(hash, generation, client)
  }

  async #fromDatabase(hash: string, generation: number, client?: ClientInfo) {
    const found = await this.lookup(hash)
    if (!found) return INVALID
    const row = this.verified(found)
    this.cache.set(hash, row, generation)
    return this.#answer(row, client)
  }

  #answer(
    row: Verified,
    client?: ClientInfo
  ): AuthenticationResult | Promise<AuthenticationResult> {
    const now = Settings.now()
    if (row.expiresAt !== null && row.expiresAt <= now) {
      return { ok: false, reason: 'expired', tokenId: row.t_id, userId: row.id }
    }
    if (!row.isActive) return { ok: false, reason: 'inactive' }

    if (row.lastUsedAt === null || now - row.lastUsedAt >= this.#resolutionMs) {
      // Claimed before the write: concurrent requests with this token do not write too.
      row.lastUsedAt = now
      row.token = { ...row.token, lastUsedAt: DateTime.fromMillis(now) }
      return this.touch(row.t_id, now, client?.()).then(() => this.#accepted(row))
    }
    return this.#accepted(row)
  }

  #accepted(row: Verified): Verification {
    return new Verification(row)
  }

  /** Records use; conditional, so processes sharing a token write once per resolution between them. */
  private async touch(id: number, now: number, client: ReturnType<ClientInfo> = {}) {
    const stamp = (ms: number) => sqlTimestamp(DateTime.fromMillis(ms))
    await db
      .from(TABLE)
      .where('id', id)
      .where((query) =>
        query
          .whereNull('last_used_at')
          .orWhere('last_used_at', '<=', stamp(now - this.#resolutionMs))
      )
      .update({
        last_used_at: stamp(now),
        last_used_ip: client.ip?.slice(0, 45) ?? null,
        last_used_agent: client.agent?.slice(0, AGENT_MAX_LENGTH) ?? null,
      })
  }

  /** SQLite: a prepared statement on the change feed's connection (synchronous); else one raw query. */
  private async lookup(hash: string): Promise<CachedRow | undefined> {
    this.lookups++
    const feed = this.cache.feed
    const connection = feed instanceof SqliteChangeLog ? feed.connection : undefined
    if (connection) {
      if (this.#prepared?.connection !== connection) {
        this.#prepared = { connection, statement: connection.prepare(LOOKUP) }
      }
      this.preparedLookups++
      return this.#prepared!.statement.get(hash, this.config.type) as CachedRow | undefined
    }
    const result = await db.rawQuery(LOOKUP, [hash, this.config.type])
    return (Array.isArray(result) ? result[0] : result.rows?.[0]) as CachedRow | undefined
  }

  /** Parses a looked-up row once, the way Lucid hydrates models; never keeps the password hash. */
  private verified(found: CachedRow): Verified {
    const row = { ...found }
    delete row.password
    const user = User.$createFromAdapterResult(row)!
    const token = AccessToken.$createFromAdapterResult({
      id: row.t_id,
      tokenable_id: row.id,
      type: this.config.type,
      name: row.t_name,
      abilities: row.t_abilities,
      hint: row.t_hint,
      created_at: row.t_created_at,
      updated_at: row.t_updated_at,
      last_used_at: row.t_last_used_at,
      expires_at: row.t_expires_at,
    })!
    return {
      id: user.id,
      t_id: token.id,
      user: { ...user.$attributes },
      token: { ...token.$attributes },
      tokenArrays: Object.keys(token.$attributes).filter((name) =>
        Array.isArray(token.$attributes[name])
      ),
      isActive: user.isActive,
      // An expiry that cannot be read counts as passed: refused, never accepted forever.
      expiresAt: millis(token.expiresAt, 0),
      lastUsedAt: millis(token.lastUsedAt, null),
      userJson: undefined,
    }
  }
}

export default new TokenAuthenticator()
