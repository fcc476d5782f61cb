/*
|--------------------------------------------------------------------------
| Environment variables service
|--------------------------------------------------------------------------
|
| Every environment variable the app reads is declared and validated here;
| config/*.ts files read them through this module and nothing else reads
| process.env. Outside production a missing .env (or a .env without an
| APP_KEY) is created from .env.example with a fresh random APP_KEY, so a
| fresh clone starts with zero configuration. An existing key is never
| overwritten.
|
*/

import { isIP } from 'node:net'
import { Env } from '@adonisjs/core/env'
import { Secret } from '@adonisjs/core/helpers'
import string from '@adonisjs/core/helpers/string'
import { ensureDotEnv } from '#start/dotenv'
import { RETENTION_PATTERN } from '#validators/rules'

const APP_ROOT = new URL('../', import.meta.url)

if (process.env.NODE_ENV !== 'production') {
  ensureDotEnv(APP_ROOT)
}

/** Every variable the app reads, with its rule (exported for the validation tests). */
export const envSchema = {
  NODE_ENV: Env.schema.enum(['development', 'production', 'test'] as const),
  PORT: Env.schema.number.optional(),
  HOST: Env.schema.string.optional({ format: 'host' }),
  APP_KEY: Env.schema.secret(),
  APP_URL: Env.schema.string.optional({ format: 'url', tld: false }),
  LOG_LEVEL: Env.schema.enum.optional([
    'fatal',
    'error',
    'warn',
    'info',
    'debug',
    'trace',
    'silent',
  ] as const),

  /*
  |----------------------------------------------------------
  | Database: SQLite (embedded default) or PostgreSQL
  |----------------------------------------------------------
  */
  DB_CONNECTION: Env.schema.enum.optional(['sqlite', 'pg'] as const),
  DB_SQLITE_PATH: Env.schema.string.optional(),
  DATABASE_URL: (key: string, value?: string) => {
    if (!value) return undefined
    if (!/^postgres(ql)?:\/\/\S+$/.test(value)) {
      throw new Error(`Value for environment variable "${key}" must be a postgres:// URL`)
    }
    return value
  },
  DB_HOST: Env.schema.string.optional({ format: 'host' }),
  DB_PORT: Env.schema.number.optional(),
  DB_USER: Env.schema.string.optional(),
  DB_PASSWORD: Env.schema.string.optional(),
  DB_DATABASE: Env.schema.string.optional(),
  DB_AUTO_MIGRATE: Env.schema.boolean.optional(),
  DB_DEBUG: Env.schema.boolean.optional(),

  /*
  |----------------------------------------------------------
  | Tokens
  |----------------------------------------------------------
  */
  TOKEN_EXPIRES_IN: Env.schema.string.optional(),
  TOKEN_LAST_USED_RESOLUTION: Env.schema.string.optional(),

  /*
  |----------------------------------------------------------
  | Sessions (the pages): cookie (default), redis or memory (tests)
  |----------------------------------------------------------
  */
  SESSION_DRIVER: Env.schema.enum.optional(['cookie', 'redis', 'memory'] as const),
  REDIS_HOST: Env.schema.string.optional({ format: 'host' }),
  REDIS_PORT: Env.schema.number.optional(),
  REDIS_PASSWORD: Env.schema.string.optional(),

  /*
  |----------------------------------------------------------
  | Commands: password for `node ace user:create` in scripts
  |----------------------------------------------------------
  */
  GATEHOUSE_USER_PASSWORD: Env.schema.secret.optional(),

  /*
  |----------------------------------------------------------
  | Hardening: token rotation, login throttling, CORS
  |----------------------------------------------------------
  */
  TOKEN_ROTATION_GRACE: Env.schema.string.optional(),
  LIMITER_STORE: Env.schema.enum.optional(['memory', 'redis', 'database'] as const),
  LOGIN_THROTTLE_IP_REQUESTS: Env.schema.number.optional(),
  LOGIN_THROTTLE_IP_WINDOW: Env.schema.string.optional(),
  LOGIN_THROTTLE_IP_BLOCK: Env.schema.string.optional(),
  LOGIN_THROTTLE_USER_REQUESTS: Env.schema.number.optional(),
  LOGIN_THROTTLE_USER_WINDOW: Env.schema.string.optional(),
  LOGIN_THROTTLE_USER_BLOCK: Env.schema.string.optional(),
  CORS_ORIGINS: Env.schema.string.optional(),

  /*
  |----------------------------------------------------------
  | Password hashing: concurrency and thread priority
  |----------------------------------------------------------
  */
  PASSWORD_HASH_CONCURRENCY: Env.schema.number.optional(),
  PASSWORD_HASH_NICE: Env.schema.number.optional(),
  PASSWORD_HASH_QUEUE: Env.schema.number.optional(),

  /*
  |----------------------------------------------------------
  | The cache of verified tokens (invalidated by database triggers)
  |----------------------------------------------------------
  */
  TOKEN_CACHE: Env.schema.enum.optional(['on', 'off'] as const),
  TOKEN_CACHE_TTL: Env.schema.string.optional(),
  TOKEN_CACHE_SIZE: Env.schema.number.optional(),
  /** Benchmark only: count SQL queries and expose the counts (never in real deployments). */
  BENCH_COUNT_QUERIES: Env.schema.boolean.optional(),

  /*
  |----------------------------------------------------------
  | Stopping and the cluster (bin/cluster.js)
  |----------------------------------------------------------
  */
  SHUTDOWN_TIMEOUT: (key: string, value?: string) => shutdownTimeout(key, value),
  WEB_CONCURRENCY: Env.schema.number.optional(),

  /*
  |----------------------------------------------------------
  | Audit trail: how long events are kept (audit:prune default)
  |----------------------------------------------------------
  */
  AUDIT_RETENTION: (key: string, value?: string) => {
    if (!value) return undefined
    if (!RETENTION_PATTERN.test(value.trim())) {
      throw new Error(`Value for environment variable "${key}" must be a duration such as 90d`)
    }
    return value.trim()
  },

  /*
  |----------------------------------------------------------
  | Operator metrics (GET /metrics): who may scrape
  |----------------------------------------------------------
  */
  METRICS_ALLOW: (key: string, value?: string) => addressList(key, value),
  METRICS_TOKEN: (key: string, value?: string) => bearerSecret(key, value),
}

export default await Env.create(APP_ROOT, envSchema)

/**
 * How long a stopping process may drain, in milliseconds: "10s", "1m",
 * "500ms", or a bare number of seconds. Default 10 s. Read by the web
 * process and by the cluster's primary, which boots no app: hence here.
 */
function shutdownTimeout(key: string, value?: string): number {
  if (value === undefined || value.trim() === '') return 10_000
  const text = value.trim()
  let ms: number | undefined
  try {
    ms = /^\d+(\.\d+)?$/.test(text) ? Number(text) * 1000 : string.milliseconds.parse(text)
  } catch {}
  if (ms === undefined || !(ms >= 100 && ms <= 3_600_000)) {
    throw new Error(
      `Value for environment variable "${key}" must be a duration from 100ms to 1h (e.g. "10s")`
    )
  }
  return ms
}

/** IP addresses and CIDR ranges, comma or space separated; "" = none. */
function addressList(key: string, value?: string): string[] | undefined {
  if (value === undefined) return undefined
  const entries = value.split(/[\s,]+/).filter((entry) => entry !== '')
  for (const entry of entries) {
    const [address, bits, extra] = entry.split('/')
    const family = isIP(address)
    const maxBits = family === 6 ? 128 : 32
    const badBits = bits !== undefined && !(/^\d{1,3}$/.test(bits) && Number(bits) <= maxBits)
    if (family === 0 || extra !== undefined || badBits) {
      throw new Error(
        `Value for environment variable "${key}" must list IP addresses or CIDR ranges, e.g. 127.0.0.1,::1,10.0.0.0/8 (got "${entry}")`
      )
    }
  }
  return entries
}

/** A bearer secret long enough not to be guessed. */
function bearerSecret(key: string, value?: string): Secret<string> | undefined {
  if (!value) return undefined
  if (value.length < 16) {
    throw new Error(`Value for environment variable "${key}" must be at least 16 characters`)
  }
  return new Secret(value)
}
