/*
|--------------------------------------------------------------------------
| Gatehouse settings (the REST_FRAMEWORK block of settings.py)
|--------------------------------------------------------------------------
*/

import env from '#start/env'

function duration(value: string | undefined, fallback: string | null): string | null {
  if (value === undefined || value.trim() === '') return fallback
  return ['never', '0', 'none', 'off'].includes(value.trim().toLowerCase()) ? null : value.trim()
}

const gatehouseConfig = {
  tokens: {
    /** Fixed prefix of every key Gatehouse issues (recognisable by secret scanners). */
    prefix: 'gth_',
    /** Guard/provider type stored in the "type" column. */
    type: 'auth_token',
    /** Name of the token that POST /api-token-auth/ and login get-or-create. */
    defaultName: 'default',
    /** Lifetime of new tokens unless a request says otherwise; null = never expire. */
    expiresIn: duration(env.get('TOKEN_EXPIRES_IN'), '30d'),
    /** last_used_at is written at most once per this interval per token. */
    lastUsedResolution: duration(env.get('TOKEN_LAST_USED_RESOLUTION'), '1m') ?? '1m',
    /** Upper bound on how many live tokens one user may hold. */
    maxPerUser: 100,
    /** After POST /api/v1/tokens/:id/rotate the old key keeps working this long. */
    rotationGrace: env.get('TOKEN_ROTATION_GRACE', '60s'),
  },
  /**
   * Login throttling (POST /api-token-auth/, POST /api/v1/auth/login, web
   * sign-in). Durations are "60s", "15m", "1h"… (see config/limiter.ts for
   * where the counters live).
   */
  throttle: {
    /** Every sign-in attempt from one IP address, whatever its outcome. */
    ip: {
      requests: env.get('LOGIN_THROTTLE_IP_REQUESTS', 60),
      duration: env.get('LOGIN_THROTTLE_IP_WINDOW', '1m'),
      blockDuration: env.get('LOGIN_THROTTLE_IP_BLOCK', '1m'),
    },
    /** Failed sign-ins for one username from one IP; a success clears the count. */
    user: {
      requests: env.get('LOGIN_THROTTLE_USER_REQUESTS', 5),
      duration: env.get('LOGIN_THROTTLE_USER_WINDOW', '15m'),
      blockDuration: env.get('LOGIN_THROTTLE_USER_BLOCK', '15m'),
    },
  },
  tokenCache: {
    /**
     * Cache of verified tokens (app/services/token_cache.ts), on unless
     * TOKEN_CACHE=off. Database triggers report every change that can make
     * a token unusable, whoever makes it; each web process serves from the
     * cache only while it can hear them (SQLite: a change log checked with
     * PRAGMA data_version; PostgreSQL: LISTEN/NOTIFY). No Redis involved.
     */
    enabled: env.get('TOKEN_CACHE', 'on') === 'on',
    /** An entry is re-read from the database at least this often. */
    ttl: duration(env.get('TOKEN_CACHE_TTL'), '30s') ?? '30s',
    /** Most entries kept per process (least recently used go first). */
    maxEntries: env.get('TOKEN_CACHE_SIZE', 10_000),
  },
  passwords: {
    /** Longer passwords are refused before hashing: hash cost stays bounded. */
    maxLength: 256,
    minLength: 8,
    /**
     * Password checks run at once per process; more wait their turn, so a
     * login flood cannot take every core from the requests already signed in.
     */
    hashConcurrency: env.get('PASSWORD_HASH_CONCURRENCY', 1),
    /** Nice value of the hashing threads in web processes (Linux; 0 = unchanged, up to 19). */
    hashNice: env.get('PASSWORD_HASH_NICE', 10),
    /**
     * Password checks that may wait for one of those slots per process; when
     * they are all taken, sign-in answers 503 with Retry-After at once.
     */
    hashQueue: env.get('PASSWORD_HASH_QUEUE', 64),
    /**
     * Highest cost of a Django hash Gatehouse will run (Django 6.0's defaults
     * in brackets). An imported hash above it is stored as unusable: that user
     * must have a new password set (`drf:import` lists them); never run at sign-in.
     */
    djangoCeiling: {
      pbkdf2Iterations: 1_500_000, // (1,200,000)
      bcryptCost: 14, // (12)
      argon2MemoryKiB: 262_144, // (102,400)
      argon2Passes: 8, // (2)
      argon2Parallelism: 16, // (8)
      scryptN: 131_072, // (16,384)
      scryptR: 16, // (8)
      scryptP: 4, // (1)
    },
  },
  commands: {
    /** Password `node ace user:create` uses when no terminal or stdin gives one. */
    userPassword: env.get('GATEHOUSE_USER_PASSWORD'),
  },
  /** Device sign-in for command-line tools (RFC 8628): POST /api/v1/device/authorize, /device. */
  device: {
    /** How long a device code and its user code stay usable. */
    lifetime: '15m',
    /** Seconds a tool waits between polls of POST /api/v1/device/token (+5 per slow_down). */
    interval: 5,
    /** Wrong user codes typed on /device, per signed-in user and per IP address. */
    userCodeThrottle: { requests: 10, duration: '15m', blockDuration: '15m' },
    /** Base of verification_uri (APP_URL); unset: the scheme and host of the request. */
    baseUrl: env.get('APP_URL') ?? null,
    /** POST /api/v1/device/authorize per IP address. */
    authorizeThrottle: { requests: 30, duration: '1m', blockDuration: '1m' },
  },
  shutdown: {
    /**
     * On SIGTERM/SIGINT a web process drains for at most this long (ms), then
     * cuts what is still open and exits 1 (docs/operations.md).
     */
    timeoutMs: env.get('SHUTDOWN_TIMEOUT'),
  },
  audit: {
    /** How long audit events are kept: the default of `node ace audit:prune`. */
    retention: env.get('AUDIT_RETENTION', '90d'),
  },
}

export default gatehouseConfig
