/*
|--------------------------------------------------------------------------
| npm run bench [-- --db=sqlite|pg --duration=5 --connections=32 --rounds=25
|                   --load-generator=wrk|autocannon --threads=2 --pin]
|--------------------------------------------------------------------------
|
| Builds the app once and measures two deployments, one after the other:
| 1. the defaults, what `npm start` gets with no extra environment
|    (SQLite, LOG_LEVEL=info, no Redis, token cache on), one process;
| 2. production at scale: PostgreSQL and the cluster (one worker per core).
| (--db=sqlite or --db=pg runs only one.) Each starts the build in
| production mode on 127.0.0.1, seeds 10,000 users with one token each, and
| measures with wrk (when installed; else autocannon), beside a raw
| node:http server (the ceiling):
| GET /health, GET /health/live, GET /api/v1/protected (Token and Bearer), an
| invalid key, POST /api-token-auth/, and the protected route's p99 with and
| without a concurrent flood of POST /api-token-auth/ (password hashing).
| Then --rounds paired rounds of /health/live, protected and an invalid key
| (and, on the defaults, the starter kit's route, running beside the app on
| PORT + 1), back to back, whose median ratios are steadier on a shared machine.
| SQL queries and writes per request are counted by a second server started
| with BENCH_COUNT_QUERIES=1 (Lucid's db:query event), not assumed.
|
| Databases: SQLite in tmp/bench.sqlite3 or PostgreSQL in a database of its
| own, gatehouse_bench. Both are recreated. Every figure is also printed as
| a ratio to /health/live and to the ceiling of the same run.
|
*/

import { spawn, spawnSync, type ChildProcess } from 'node:child_process'
import { request as httpRequest } from 'node:http'
import { randomBytes } from 'node:crypto'
import { readFileSync, readdirSync, rmSync, writeFileSync, mkdirSync } from 'node:fs'
import { availableParallelism, cpus, loadavg, totalmem } from 'node:os'
import { fileURLToPath } from 'node:url'
import { parseArgs } from 'node:util'
import autocannon from 'autocannon'
import Database from 'better-sqlite3'
import pg from 'pg'
import { DateTime } from 'luxon'
import { Scrypt } from '@adonisjs/core/hash/drivers/scrypt'
import { generateKey } from '#services/token_key'
import { AppProcess } from '../tests/helpers/app_process.ts'

const { values: args } = parseArgs({
  options: {
    'db': { type: 'string', default: 'both' },
    'duration': { type: 'string', default: '5' },
    'connections': { type: 'string', default: '32' },
    'users': { type: 'string', default: '10000' },
    'rate': { type: 'string', default: '500' },
    'skip-build': { type: 'boolean', default: false },
    // Below Linux's ephemeral range (32768-60999): a client polling a port nobody listens on yet
    // can connect to itself there, and its TIME_WAIT then keeps the server from binding it.
    'port': { type: 'string', default: '30005' },
    'rounds': { type: 'string', default: '25' },
    'round-duration': { type: 'string', default: '2' },
    'load-generator': { type: 'string' },
    'threads': { type: 'string', default: '2' },
    'pin': { type: 'boolean', default: false },
  },
})

const ROOT = fileURLToPath(new URL('../', import.meta.url))
const BUILD = `${ROOT}build/`
const NODE = process.execPath
const RUNS: Array<'sqlite' | 'pg'> =
  args.db === 'pg' ? ['pg'] : args.db === 'sqlite' ? ['sqlite'] : ['sqlite', 'pg']
/** The deployment being measured: SQLite alone, or PostgreSQL behind the cluster. */
let DB: 'sqlite' | 'pg' = 'sqlite'
const clustered = () => DB === 'pg'
const DURATION = Number(args.duration)
const CONNECTIONS = Number(args.connections)
const USERS = Number(args.users)
const RATE = Number(args.rate)
const PORT = Number(args.port)
/** Paired rounds of /health/live, protected and an invalid key, back to back (see measure()). */
const ROUNDS = Number(args.rounds)
/** Seconds per row of a paired round: short, so the three rows of a round see the same VM. */
const ROUND_DURATION = Number(args['round-duration'])
const BASE = `http://127.0.0.1:${PORT}`
const PG_DATABASE = 'gatehouse_bench'
const SQLITE_PATH = `${ROOT}tmp/bench.sqlite3`
/**
 * What drives the closed-loop rows (every row but the fixed-rate ones): wrk, the
 * tool the performance issue measured with, when it is installed (Debian: `apt-get
 * install wrk`), else autocannon (an npm dependency: what a fresh clone has). On a
 * 2-core machine the load generator shares the cores with the server, and autocannon
 * costs about twice the server's CPU per request, wrk less than the server's own.
 */
const LOAD_GENERATOR: 'wrk' | 'autocannon' =
  args['load-generator'] === 'autocannon' || args['load-generator'] === 'wrk'
    ? args['load-generator']
    : spawnSync('wrk', ['--version']).error
      ? 'autocannon'
      : 'wrk'
/** wrk's threads (the issue's `wrk -t2 -c32`). */
const WRK_THREADS = Number(args.threads)
/**
 * --pin (one-process deployment only): every server measured, its threads
 * included, on core 0 and wrk, one thread, on core 1, so that neither takes
 * the other's core. Unpinned on a 2-core machine, wrk parses each answer on
 * the server's cores: a server with a larger answer (Gatehouse's security
 * headers) pays for its clients' parsing too, which in a deployment runs on
 * the clients' machines, and the scheduler's placement of the three
 * processes adds noise. The cluster (PostgreSQL) runs unpinned: it uses
 * every core.
 */
const PIN = args.pin
const pinned = () => PIN && !clustered()

/** Puts a server's threads on core 0 (see PIN); a failure stops the bench rather than measure unpinned. */
function pinServer(pid: number | undefined) {
  if (!pinned() || pid === undefined) return
  const result = spawnSync('taskset', ['-a', '-p', '-c', '0', String(pid)])
  if (result.status !== 0) {
    throw new Error(`taskset could not pin pid ${pid}: ${result.stderr?.toString().trim()}`)
  }
}
const PASSWORD = 'bench-password-1'

const APP_KEY = randomBytes(32).toString('base64url')
/** Only what a deployment must set; everything else (LOG_LEVEL, token cache…) at its default. */
const ENV = () => ({
  NODE_ENV: 'production',
  APP_KEY,
  HOST: '127.0.0.1',
  PORT: String(PORT),
  DB_CONNECTION: DB,
  DB_SQLITE_PATH: SQLITE_PATH,
  DB_DATABASE: PG_DATABASE,
  DB_AUTO_MIGRATE: 'false',
  // The bench measures get-or-create and hashing, not the login throttle.
  LOGIN_THROTTLE_IP_REQUESTS: '1000000000',
  LOGIN_THROTTLE_USER_REQUESTS: '1000000000',
})

/** The process environment without anything that would change the defaults being measured. */
function cleanEnv() {
  const env = { ...process.env }
  for (const name of Object.keys(env)) {
    if (
      /^(REDIS_|TOKEN_|LOG_LEVEL|DB_|DATABASE_URL|SESSION_|LIMITER_|WEB_CONCURRENCY)/.test(name)
    ) {
      delete env[name]
    }
  }
  return env
}

function log(message: string) {
  process.stderr.write(`[bench] ${message}\n`)
}

function run(command: string[], cwd: string, env: Record<string, string> = {}) {
  const result = spawnSync(NODE, command, { cwd, env: { ...cleanEnv(), ...env }, stdio: 'pipe' })
  if (result.status !== 0) {
    if (result.error) throw result.error
    process.stderr.write(result.stdout)
    process.stderr.write(result.stderr)
    throw new Error(`${command.join(' ')} failed`)
  }
}

/* ---------------------------------------------------------------- database */

async function pgClient(database: string) {
  const client = new pg.Client({ host: '127.0.0.1', user: 'postgres', database })
  await client.connect()
  return client
}

async function resetDatabase() {
  if (DB === 'sqlite') {
    mkdirSync(`${ROOT}tmp`, { recursive: true })
    for (const suffix of ['', '-wal', '-shm']) rmSync(SQLITE_PATH + suffix, { force: true })
  } else {
    const admin = await pgClient('postgres')
    await admin.query(`DROP DATABASE IF EXISTS ${PG_DATABASE} WITH (FORCE)`)
    await admin.query(`CREATE DATABASE ${PG_DATABASE}`)
    await admin.end()
  }
  run(['ace.js', 'migration:run', '--force'], BUILD, ENV())
}

/** Bulk-inserts users sharing one password hash, one token each; returns the keys. */
async function seed(): Promise<string[]> {
  const passwordHash = await new Scrypt({ cost: 16384, blockSize: 8, parallelization: 1 }).make(
    PASSWORD
  )
  const keys = Array.from({ length: USERS }, () => generateKey('gth_'))
  const now = DateTime.now()

  if (DB === 'sqlite') {
    const sqlite = new Database(SQLITE_PATH)
    const stamp = now.toFormat('yyyy-MM-dd HH:mm:ss')
    const user = sqlite.prepare(
      `INSERT INTO users (id, username, email, password, is_active, is_staff, is_superuser, created_at, updated_at)
       VALUES (?, ?, ?, ?, 1, 0, 0, ?, ?)`
    )
    const token = sqlite.prepare(
      `INSERT INTO auth_access_tokens (tokenable_id, type, name, hash, abilities, hint, created_at, updated_at, last_used_at)
       VALUES (?, 'auth_token', 'bench', ?, '["*"]', ?, ?, ?, ?)`
    )
    sqlite.transaction(() => {
      keys.forEach((key, i) => {
        user.run(i + 1, `bench${i}`, `bench${i}@example.test`, passwordHash, stamp, stamp)
        token.run(i + 1, key.hash, key.hint, stamp, stamp, stamp)
      })
    })()
    sqlite.close()
  } else {
    const client = await pgClient(PG_DATABASE)
    const ids = keys.map((_, i) => i + 1)
    await client.query(
      `INSERT INTO users (id, username, email, password, is_active, is_staff, is_superuser, created_at, updated_at)
       SELECT id, 'bench' || (id - 1), 'bench' || (id - 1) || '@example.test', $2, true, false, false, now(), now()
       FROM unnest($1::int[]) AS id`,
      [ids, passwordHash]
    )
    await client.query(`SELECT setval('users_id_seq', $1)`, [USERS])
    await client.query(
      `INSERT INTO auth_access_tokens (tokenable_id, type, name, hash, abilities, hint, created_at, updated_at, last_used_at)
       SELECT id, 'auth_token', 'bench', hash, '["*"]', hint, now(), now(), now()
       FROM unnest($1::int[], $2::text[], $3::text[]) AS t(id, hash, hint)`,
      [ids, keys.map((k) => k.hash), keys.map((k) => k.hint)]
    )
    await client.query('ANALYZE')
    await client.end()
  }
  return keys.map((k) => k.value)
}

/* ------------------------------------------------------------------ server */

/** A server to measure: its process (CPU is read from it) and its address. */
interface Target {
  pid?: number
  base: string
  stop(): Promise<unknown>
}

/** The server being measured: the app (through the shared harness) or a reference server. */
let server: Target | undefined
/**
 * The starter kit's route, kept running beside the app during the paired rounds
 * on a port of its own (PORT + 1), so that live/kit is judged like the other
 * ratios: rows back to back, the median of many rounds.
 */
let kitServer: Target | undefined

/** Variables of this shell that would change the defaults being measured: unset for the app. */
function unsetOverrides() {
  return Object.fromEntries(
    Object.keys(process.env)
      .filter((name) => !(name in cleanEnv()))
      .map((name) => [name, undefined])
  )
}

/** The app (or, with `cluster`, the production cluster); request logs go where a service's would, not to this terminal. */
async function startServer(extraEnv: Record<string, string> = {}, cluster = false) {
  const app = await AppProcess.start({
    script: cluster ? 'bin/cluster.js' : 'bin/server.js',
    cwd: BUILD,
    port: PORT,
    env: { ...unsetOverrides(), LOG_LEVEL: undefined, ...ENV(), ...extraEnv },
    discardStdout: true,
    startTimeoutMs: 20_000,
  })
  server = { pid: app.pid, base: BASE, stop: () => app.stop({ timeoutMs: 10_000 }) }
  pinServer(app.pid)
  // Let every worker start and its token cache LISTEN before measuring.
  await new Promise((resolve) => setTimeout(resolve, cluster ? 1500 : 300))
}

async function stopServer() {
  const current = server
  server = undefined
  await current?.stop()
}

async function stopKitServer() {
  const current = kitServer
  kitServer = undefined
  await current?.stop()
}

/* -------------------------------------------------------------- measuring */

/** One request on a fresh connection (no keep-alive: the server can stop at once). */
function send(
  path: string,
  options: { method?: string; headers?: Record<string, string>; body?: string; base?: string } = {}
): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(
      (options.base ?? BASE) + path,
      { method: options.method ?? 'GET', headers: options.headers, agent: false },
      (res) => {
        let body = ''
        res.setEncoding('utf8')
        res.on('data', (chunk) => (body += chunk))
        res.on('end', () => resolve({ status: res.statusCode!, body }))
      }
    )
    req.on('error', reject)
    req.end(options.body)
  })
}

interface Scenario {
  title: string
  path: string
  method?: 'GET' | 'POST'
  body?: string
  /**
   * One Authorization header per connection (or none): a client keeps its key
   * on its keep-alive connection. wrk cannot tell its connections apart in
   * Lua, so there each of its threads keeps one key for all its connections.
   */
  auth?: (connection: number) => string
  /**
   * Every connection sends the `connections` keys of `auth` in turn: a proxy
   * carrying many clients' requests on shared upstream connections, where no
   * connection keeps one key (the authenticator's per-connection memo misses).
   */
  keysInTurn?: boolean
  connections?: number
  overallRate?: number
  expect: number
  /** Where to send it: the app (the `server` being measured) unless given. */
  target?: Target
}

/** The scenario's address and the process whose CPU it is charged to. */
function targetOf(scenario: Scenario) {
  return { base: scenario.target?.base ?? BASE, pid: (scenario.target ?? server)?.pid }
}

interface Row {
  title: string
  rps: number
  /** CPU time of the server (its workers included) per answered request, µs; see cpuMicros(). */
  cpuUs: number | null
  p50: number
  p99: number
  errors: number
  requests: number
  /** Share of well-formed keys answered from the token cache during the row (app rows with keys). */
  cacheHitRate?: number
}

const CLOCK_TICKS = Number(spawnSync('getconf', ['CLK_TCK']).stdout?.toString().trim()) || 100

/**
 * CPU time (user + system) the server process and its children (a
 * cluster's workers) have used so far, in µs, from /proc (Linux only;
 * null elsewhere). Per request it is far less disturbed than requests/s by
 * the other jobs of a shared machine, autocannon included.
 */
function cpuMicros(pid = server?.pid): number | null {
  if (!pid) return null
  try {
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ')
    let total = ((Number(fields[11]) + Number(fields[12])) * 1e6) / CLOCK_TICKS
    for (const task of readdirSync(`/proc/${pid}/task`)) {
      const children = readFileSync(`/proc/${pid}/task/${task}/children`, 'utf8').trim()
      for (const child of children ? children.split(' ') : [])
        total += cpuMicros(Number(child)) ?? 0
    }
    return total
  } catch {
    return null
  }
}

/** One report row from an autocannon result; answers other than the expected ones are errors. */
function toRow(scenario: Scenario, result: any, expected: number, cpu: number | null = null): Row {
  const total = result.requests.total
  return {
    title: scenario.title,
    rps: Math.round(result.requests.average),
    cpuUs: cpu === null || total === 0 ? null : Math.round(cpu / total),
    p50: result.latency.p50,
    p99: result.latency.p99,
    errors: result.errors + result.timeouts + (total - expected),
    requests: total,
  }
}

/** The same as fire() for an unauthenticated scenario, run by the autocannon CLI in a child process. */
function fireInChild(scenario: Scenario, duration = DURATION): Promise<Row> {
  const cliArgs = [
    `${ROOT}node_modules/autocannon/autocannon.js`,
    '--json',
    '-c',
    String(scenario.connections ?? CONNECTIONS),
    '-d',
    String(duration),
    '-m',
    scenario.method ?? 'GET',
    '-H',
    'accept=application/json',
  ]
  if (scenario.body) cliArgs.push('-H', 'content-type=application/json', '-b', scenario.body)
  cliArgs.push(BASE + scenario.path)
  return new Promise((resolve, reject) => {
    const child = spawn(NODE, cliArgs, { stdio: ['ignore', 'pipe', 'ignore'] })
    let output = ''
    child.stdout.on('data', (chunk) => (output += chunk))
    child.on('error', reject)
    child.on('close', () => {
      try {
        const result = JSON.parse(output.trim().split('\n').at(-1)!)
        resolve(toRow(scenario, result, result['2xx'] ?? 0))
      } catch (error) {
        reject(new Error(`autocannon child gave no result: ${String(error)}`))
      }
    })
  })
}

/**
 * The p-th percentile (0-100) of response times in ms, to the µs. autocannon's own
 * histogram counts whole milliseconds (3 ms vs 4 ms is already a ratio of 1.33) and
 * leaves out non-2xx answers (the invalid key's 401s).
 */
function percentile(times: Float64Array, p: number): number {
  if (times.length === 0) return 0
  const sorted = times.toSorted()
  const at = sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]
  return Math.round(at * 1000) / 1000
}

/** A Lua string literal; what the bench sends is ASCII (paths, keys, JSON bodies). */
function luaString(value: string) {
  if (!/^[\x20-\x7e]*$/.test(value)) throw new Error('wrk scripts take ASCII values only')
  return `"${value.replace(/[\\"]/g, '\\$&')}"`
}

/**
 * fire() with wrk. The requests (one per connection number, each with that
 * connection's Authorization header, as autocannon's rows have) are built
 * once per wrk thread and sent in turn; every row, the reference servers'
 * included, goes through the same Lua request() hook, so the load
 * generator's own cost is the same for all. A done() hook prints the totals
 * and wrk's latency percentiles (µs) as JSON. wrk counts answers outside
 * 2xx/3xx but not which status they had: a 401 row expects all of them.
 */
function fireWrk(scenario: Scenario, duration: number): Promise<Row> {
  const connections = scenario.connections ?? CONNECTIONS
  const headers: Record<string, string> = { Accept: 'application/json' }
  if (scenario.body) headers['Content-Type'] = 'application/json'
  const built = Array.from({ length: scenario.auth ? connections : 1 }, (_, index) => {
    const auth = scenario.auth?.(index)
    const all = auth ? { ...headers, Authorization: auth } : headers
    const table = Object.entries(all)
      .map(([name, value]) => `[${luaString(name)}] = ${luaString(value)}`)
      .join(', ')
    const body = scenario.body === undefined ? 'nil' : luaString(scenario.body)
    return `wrk.format(${luaString(scenario.method ?? 'GET')}, ${luaString(scenario.path)}, { ${table} }, ${body})`
  })
  const script = `${ROOT}tmp/bench-wrk.lua`
  writeFileSync(
    script,
    [
      'local requests, i = {}, 0',
      // Each thread's number, for its key (thread:set makes `id` a global of that thread).
      'local threads = 0',
      'function setup(thread)',
      '  thread:set("id", threads)',
      '  threads = threads + 1',
      'end',
      'function init(args)',
      '  local all = {}',
      ...built.map((request) => `  all[#all + 1] = ${request}`),
      scenario.keysInTurn ? '  requests = all' : '  requests[1] = all[id % #all + 1]',
      'end',
      'function request()',
      '  i = i % #requests + 1',
      '  return requests[i]',
      'end',
      'function done(summary, latency)',
      '  local e = summary.errors',
      `  io.write(string.format('\\n{"requests":%d,"us":%d,"socket":%d,"status":%d,"p50":%d,"p99":%d}\\n',`,
      '    summary.requests, summary.duration, e.connect + e.read + e.write + e.timeout, e.status,',
      '    latency:percentile(50), latency:percentile(99)))',
      'end',
      '',
    ].join('\n')
  )
  const threads = pinned() ? 1 : WRK_THREADS
  const wrkArgs = ['-t', String(Math.min(threads, connections)), '-c', String(connections)]
  const { base, pid } = targetOf(scenario)
  wrkArgs.push('-d', `${duration}s`, '--timeout', '10s', '-s', script, base + scenario.path)
  const cpuBefore = cpuMicros(pid)
  return new Promise((resolve, reject) => {
    const child = pinned()
      ? spawn('taskset', ['-c', '1', 'wrk', ...wrkArgs], { stdio: ['ignore', 'pipe', 'pipe'] })
      : spawn('wrk', wrkArgs, { stdio: ['ignore', 'pipe', 'pipe'] })
    let output = ''
    child.stdout.on('data', (chunk) => (output += chunk))
    child.stderr.on('data', (chunk) => (output += chunk))
    child.on('error', reject)
    child.on('close', () => {
      const cpuAfter = cpuMicros(pid)
      const line = output.split('\n').findLast((text) => text.startsWith('{'))
      if (!line) return reject(new Error(`wrk gave no result: ${output.trim()}`))
      const result = JSON.parse(line)
      const total: number = result.requests
      // Answers outside 2xx/3xx, or inside it when a refusal was expected.
      const wrongStatus = scenario.expect < 400 ? result.status : total - result.status
      resolve({
        title: scenario.title,
        rps: Math.round(total / (result.us / 1e6)),
        cpuUs:
          cpuBefore === null || cpuAfter === null || total === 0
            ? null
            : Math.round((cpuAfter - cpuBefore) / total),
        p50: result.p50 / 1000,
        p99: result.p99 / 1000,
        errors: result.socket + wrongStatus,
        requests: total,
      })
    })
  })
}

function fire(scenario: Scenario, duration = DURATION): Promise<Row> {
  if (LOAD_GENERATOR === 'wrk' && scenario.overallRate === undefined) {
    return fireWrk(scenario, duration)
  }
  let connection = 0
  const headers: Record<string, string> = { accept: 'application/json' }
  if (scenario.body) headers['content-type'] = 'application/json'
  // Every answer with the expected status, in ms (autocannon measures with process.hrtime).
  let times = new Float64Array(1 << 16)
  let answered = 0
  const record = (status: number, _bytes: number, ms: number) => {
    if (status !== scenario.expect) return
    if (answered === times.length) {
      const grown = new Float64Array(times.length * 2)
      grown.set(times)
      times = grown
    }
    times[answered++] = ms
  }
  const { base, pid } = targetOf(scenario)
  const cpuBefore = cpuMicros(pid)
  return new Promise((resolve, reject) => {
    autocannon(
      {
        url: base + scenario.path,
        method: scenario.method ?? 'GET',
        body: scenario.body,
        headers,
        connections: scenario.connections ?? CONNECTIONS,
        overallRate: scenario.overallRate,
        duration,
        setupClient: (client: any) => {
          const connections = scenario.connections ?? CONNECTIONS
          const auth = scenario.auth
          if (auth && scenario.keysInTurn) {
            client.setRequests(
              Array.from({ length: connections }, (_, index) => ({
                headers: { ...headers, authorization: auth(index) },
              }))
            )
          } else {
            const header = auth?.(connection++)
            client.setHeaders(header ? { ...headers, authorization: header } : headers)
          }
          client.on('response', record)
        },
      },
      (error: Error | null, result: any) => {
        if (error) return reject(error)
        const cpuAfter = cpuMicros(pid)
        const cpu = cpuBefore === null || cpuAfter === null ? null : cpuAfter - cpuBefore
        const row = toRow(
          scenario,
          result,
          result.statusCodeStats?.[scenario.expect]?.count ?? 0,
          cpu
        )
        // At a fixed rate, autocannon's figures correct for coordinated omission: kept.
        if (scenario.overallRate === undefined) {
          const measured = times.subarray(0, answered)
          row.p50 = percentile(measured, 50)
          row.p99 = percentile(measured, 99)
        }
        resolve(row)
      }
    )
  })
}

/** The token cache's hit and miss counters, from /metrics (the cluster's workers summed). */
async function cacheCounters(): Promise<{ hits: number; misses: number } | null> {
  try {
    const { status, body } = await send('/metrics')
    if (status !== 200) return null
    const value = (name: string) => Number(new RegExp(`^${name} (\\S+)$`, 'm').exec(body)?.[1])
    return {
      hits: value('gatehouse_token_cache_hits_total'),
      misses: value('gatehouse_token_cache_misses_total'),
    }
  } catch {
    return null
  }
}

/**
 * fire() for a row whose keys the cache should answer, with the share it did
 * answer: a row slower than it should be shows whether it was served from
 * the database instead.
 */
async function fireCached(scenario: Scenario, duration?: number): Promise<Row> {
  const before = await cacheCounters()
  const row = await fire(scenario, duration)
  const after = await cacheCounters()
  if (before && after) {
    const hits = after.hits - before.hits
    const lookups = hits + after.misses - before.misses
    if (lookups > 0) row.cacheHitRate = hits / lookups
  }
  return row
}

async function count(requests: Array<() => Promise<unknown>>) {
  await send('/__bench/queries')
  for (const request of requests) await request()
  const response = await send('/__bench/queries')
  const counts = JSON.parse(response.body) as { queries: number; writes: number }
  return { queries: counts.queries / requests.length, writes: counts.writes / requests.length }
}

/* -------------------------------------------------------------------- main */

const machine = `${availableParallelism()} cores (${cpus()[0]?.model.trim()}), ${Math.round(totalmem() / 2 ** 30)} GiB, Node ${process.version}`

/** Starts a reference server (`command`, listening on `base`) and waits until it answers. */
async function startReference(command: string[], base = BASE): Promise<Target> {
  const child: ChildProcess = spawn(NODE, command, { cwd: ROOT, stdio: 'ignore' })
  const exited = new Promise((resolve) => child.once('exit', resolve))
  const target = {
    pid: child.pid,
    base,
    stop: async () => {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM')
      await exited
    },
  }
  for (let attempt = 0; attempt < 200; attempt++) {
    try {
      const reply = await send('/health/live', { base })
      if (reply.status === 200) {
        pinServer(child.pid)
        return target
      }
    } catch {}
    await new Promise((resolve) => setTimeout(resolve, 50))
  }
  await target.stop()
  throw new Error(`${command.join(' ')} did not answer on ${base}`)
}

/** Measures a reference server started by `command` (then stopped): same load, same run. */
async function reference(title: string, command: string[]): Promise<Row> {
  server = await startReference(command)
  await fire({ title: 'warm-up', path: '/health/live', expect: 200 }, 1)
  const row = await fire({ title, path: '/health/live', expect: 200 })
  await stopServer()
  log(`${title}: ${row.rps} req/s`)
  return row
}

/** A raw node:http server answering fixed JSON: the most any Node server can do here. */
function ceiling() {
  const code = `require('node:http').createServer((req, res) => {
    res.setHeader('content-type', 'application/json; charset=utf-8')
    res.end('{"status":"ok"}')
  }).listen(${PORT}, '127.0.0.1')`
  return reference('raw node:http server (the ceiling)', ['-e', code])
}

/** The framework alone: AdonisJS's HTTP server and router, one route, no middleware. */
function bareAdonis() {
  return reference('bare AdonisJS v7 route (framework only, no middleware)', [
    '--import=@poppinss/ts-exec',
    'scripts/bare_adonis.ts',
    String(PORT),
  ])
}

/** The same route behind the official v7 API starter kit's middleware (the framework's own). */
const KIT_TITLE = 'AdonisJS v7 route, API starter kit middleware'
const kitCommand = (port: number) => [
  '--import=@poppinss/ts-exec',
  'scripts/bare_adonis.ts',
  String(port),
  '--kit',
]
function kitAdonis() {
  return reference(KIT_TITLE, kitCommand(PORT))
}

/**
 * Indexes (0-based, into n sorted values) of a distribution-free 95%
 * confidence interval of the median: the order statistics k and n-1-k, k the
 * largest with P(Binomial(n, 1/2) <= k) <= 2.5% (n = 25: the 8th and 18th
 * values). None when n is too small (n < 6).
 */
function medianInterval(n: number): [number, number] | [] {
  let atMost = 0
  let term = 0.5 ** n
  let k = -1
  for (let i = 0; i < n; i++) {
    atMost += term
    if (atMost > 0.025) break
    k = i
    term = (term * (n - i)) / (i + 1)
  }
  return k < 0 ? [] : [k, n - 1 - k]
}

/** Fails when something already answers on the bench's ports: it would be measured instead. */
async function portsFree() {
  for (const port of [PORT, PORT + 1]) {
    const answered = await send('/', { base: `http://127.0.0.1:${port}` }).then(
      () => true,
      () => false
    )
    if (answered) throw new Error(`port ${port} is in use: stop what listens there or pass --port`)
  }
}

async function main() {
  log(`machine: ${machine}`)
  if (PIN && (LOAD_GENERATOR !== 'wrk' || availableParallelism() < 2)) {
    throw new Error('--pin needs wrk and at least 2 cores (the server on one, wrk on another)')
  }
  if (PIN && RUNS.includes('pg'))
    log('--pin: the PostgreSQL + cluster run is not pinned (it uses every core)')
  await portsFree()
  if (!args['skip-build']) {
    // What `npm run build` does: the route types first (tests use them), then the build.
    log('building (node ace codegen && node ace build)')
    run(['ace.js', 'codegen'], ROOT)
    run(['ace.js', 'build'], ROOT)
  }
  for (const [index, db] of RUNS.entries()) {
    DB = db
    // Printed as soon as it is measured: a failure in the next deployment does not lose it.
    console.log(`${index > 0 ? '\n' : ''}${await measure()}`)
  }
}

async function measure() {
  const deployment = clustered()
    ? `PostgreSQL + cluster (${availableParallelism()} workers)`
    : 'defaults (SQLite, one process, LOG_LEVEL=info, no Redis)'
  log(`${deployment}: recreating and migrating the database`)
  await resetDatabase()
  log(`seeding ${USERS} users with one token each`)
  const started = Date.now()
  const keys = await seed()
  log(`seeded in ${Date.now() - started} ms`)

  const login = JSON.stringify({ username: 'bench0', password: PASSWORD })
  /** Waits until every queued login has been answered (the queue is first in, first out). */
  const drain = () =>
    send('/api-token-auth/', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: login,
    })
  const token = (connection: number) => `Token ${keys[connection % keys.length]}`
  const bearer = (connection: number) => `Bearer ${keys[(connection + 1000) % keys.length]}`
  // A random key: its checksum fails, so it is refused before any query.
  const invalidKey = `gth_${randomBytes(40).toString('base64url').slice(0, 46)}`
  // Well-formed (valid checksum) but unknown: one query, then refused.
  const unknownKey = generateKey('gth_').value

  /* Counted queries, in a server with query events on. */
  log('counting SQL queries per request (BENCH_COUNT_QUERIES=1)')
  await startServer({ BENCH_COUNT_QUERIES: 'true' })
  const get = (path: string, auth?: string) => () =>
    send(path, { headers: auth ? { authorization: auth } : {} })
  const sample = keys.slice(5000, 5020)
  const counts = {
    'GET /health': await count([get('/health')]),
    'protected, first use of a token in this process': await count(
      sample.map((key) => get('/api/v1/protected', `Token ${key}`))
    ),
    'protected, steady state': await count(
      Array.from({ length: 100 }, (_, i) => get('/api/v1/protected', `Token ${sample[i % 20]}`))
    ),
    'random (invalid) key': await count([get('/api/v1/protected', `Token ${invalidKey}`)]),
    'well-formed unknown key': await count([get('/api/v1/protected', `Token ${unknownKey}`)]),
    'POST /api-token-auth/ (steady state)': await (async () => {
      const post = () =>
        send('/api-token-auth/', {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: login,
        })
      await count([post])
      return count([post, post])
    })(),
  }
  await stopServer()

  /* Throughput and latency. */
  log(`measuring: ${DURATION} s per scenario, ${CONNECTIONS} connections`)
  const top = await ceiling()
  const bare = await bareAdonis()
  const kit = await kitAdonis()
  await startServer({}, clustered())
  // One process against one process: the cluster's /health/live is not compared with the kit's.
  if (!clustered()) {
    const base = `http://127.0.0.1:${PORT + 1}`
    kitServer = await startReference(kitCommand(PORT + 1), base)
  }
  // Every path measured below runs first, long enough for V8 to optimize it (1 s was not:
  // the first protected row often came out slower than the same path measured right after).
  await fire({ title: 'warm-up', path: '/health', expect: 200 }, 1)
  await fire({ title: 'warm-up', path: '/health/live', expect: 200 }, 2)
  await fire({ title: 'warm-up', path: '/api/v1/protected', auth: token, expect: 200 }, 3)
  await fire({ title: 'warm-up', path: '/api/v1/protected', auth: bearer, expect: 200 }, 2)
  await fire(
    { title: 'warm-up', path: '/api/v1/protected', auth: () => `Token ${invalidKey}`, expect: 401 },
    2
  )
  const kitRoute: Scenario | undefined = kitServer && {
    title: KIT_TITLE,
    path: '/health/live',
    expect: 200,
    target: kitServer,
  }
  if (kitRoute) await fire({ ...kitRoute, title: 'warm-up' }, 2)

  const rows: Row[] = []
  const scenarios: Scenario[] = [
    { title: 'GET /health (runs select 1)', path: '/health', expect: 200 },
    { title: 'GET /health/live (no database)', path: '/health/live', expect: 200 },
    { title: 'GET /api/v1/protected, Token', path: '/api/v1/protected', auth: token, expect: 200 },
    {
      title: 'GET /api/v1/protected, Bearer',
      path: '/api/v1/protected',
      auth: bearer,
      expect: 200,
    },
    {
      title: 'GET /api/v1/protected, keys in turn on every connection (a proxy)',
      path: '/api/v1/protected',
      auth: token,
      keysInTurn: true,
      expect: 200,
    },
    {
      title: 'GET /api/v1/protected, random invalid key',
      path: '/api/v1/protected',
      auth: () => `Token ${invalidKey}`,
      expect: 401,
    },
    {
      title: 'GET /api/v1/protected, well-formed unknown key',
      path: '/api/v1/protected',
      auth: () => `Token ${unknownKey}`,
      expect: 401,
    },
  ]
  const obtain: Scenario = {
    title: 'POST /api-token-auth/ (get-or-create)',
    path: '/api-token-auth/',
    method: 'POST',
    body: login,
    expect: 200,
  }
  for (const scenario of scenarios) {
    const row = await (scenario.expect === 200 && scenario.auth ? fireCached : fire)(scenario)
    rows.push(row)
    log(`${row.title}: ${row.rps} req/s`)
  }

  /*
   * Paired rounds: /health/live, protected and an invalid key measured back to
   * back, ROUND_DURATION seconds each, ROUNDS times, with (on the defaults) the
   * starter kit's route, running beside the app on a port of its own, first or
   * last next to /health/live. On a shared VM requests/s can move by a fifth
   * from one minute to the next, and slow phases last a few seconds: short rows
   * put the rows of a round in the same phase, and the median of many rounds'
   * ratios is steadier than one ratio between rows measured a minute apart.
   */
  const pairedRounds: Array<{ live: Row; protectedToken: Row; invalid: Row; kit?: Row }> = []
  const scenarioOf = (prefix: string) => scenarios.find((one) => one.title.startsWith(prefix))!
  const roundScenarios = [
    kitRoute,
    scenarioOf('GET /health/live'),
    scenarioOf('GET /api/v1/protected, Token'),
    scenarioOf('GET /api/v1/protected, random'),
  ]
  for (let round = 1; round <= ROUNDS; round++) {
    // Every other round in reverse order: neither path always runs first.
    const order = round % 2 === 1 ? [0, 1, 2, 3] : [3, 2, 1, 0]
    const measured = new Map<number, Row>()
    for (const index of order) {
      const scenario = roundScenarios[index]
      if (!scenario) continue
      const fireRow = index === 2 ? fireCached : fire
      measured.set(index, await fireRow(scenario, ROUND_DURATION))
    }
    const [kitRow, liveRow, protectedRow, invalidRow] = [0, 1, 2, 3].map((i) => measured.get(i))
    pairedRounds.push({
      live: liveRow!,
      protectedToken: protectedRow!,
      invalid: invalidRow!,
      kit: kitRow,
    })
    const kitRps = kitRow ? ` / kit ${kitRow.rps}` : ''
    log(
      `paired round ${round}: ${liveRow!.rps} / ${protectedRow!.rps} / ${invalidRow!.rps}${kitRps} req/s`
    )
  }
  await stopKitServer()

  /* Hashing must not block the event loop: protected p99 at a fixed rate, alone and under a login flood. */
  const steady: Scenario = {
    title: `GET /api/v1/protected at ${RATE} req/s`,
    path: '/api/v1/protected',
    auth: token,
    connections: 8,
    overallRate: RATE,
    expect: 200,
  }
  const alone = await fire(steady)
  // The flood comes from a load generator of its own (another process), as real clients
  // would: two autocannon instances in one event loop delay each other's measurements.
  const [flooded, flood] = await Promise.all([
    fire({ ...steady, title: `${steady.title}, during login flood` }),
    fireInChild({ ...obtain, title: 'POST /api-token-auth/ flood', connections: 16 }),
  ])
  // Logins still queued when a run ends are served afterwards: wait for them before measuring again.
  await drain()
  rows.push(await fire(obtain))
  log(`${obtain.title}: ${rows.at(-1)!.rps} req/s`)
  await stopServer()

  /* Report. */
  const byTitle = (prefix: string) => rows.find((row) => row.title.startsWith(prefix))!
  const health = byTitle('GET /health (')
  const live = byTitle('GET /health/live')
  const protectedToken = byTitle('GET /api/v1/protected, Token')
  const invalid = byTitle('GET /api/v1/protected, random')
  const ratio = (a: Row, b: Row) => Math.round((a.rps / b.rps) * 100) / 100
  /** The same ratio from CPU per request (b's CPU / a's: as a throughput ratio, on a core of its own). */
  const cpuRatio = (a: Row, b: Row) =>
    a.cpuUs && b.cpuUs ? Math.round((b.cpuUs / a.cpuUs) * 100) / 100 : null
  /** Latency ratios from the µs-precise percentiles (see percentile()). */
  const latencyRatio = (a: number, b: number) => (b > 0 ? Math.round((a / b) * 100) / 100 : null)
  const p99Ratio = latencyRatio(protectedToken.p99, live.p99)
  /** The median over the paired rounds of a ratio, with every round's value. */
  const overRounds = (of: (round: (typeof pairedRounds)[number]) => number | null) => {
    const values = pairedRounds.map(of).filter((value): value is number => value !== null)
    const sorted = [...values].sort((a, b) => a - b)
    const [low, high] = medianInterval(sorted.length)
    return {
      median: sorted[Math.floor(sorted.length / 2)] ?? null,
      interval: low === undefined ? null : ([sorted[low], sorted[high!]] as const),
      rounds: values,
    }
  }
  const paired = {
    protectedVsLive: overRounds((r) => ratio(r.protectedToken, r.live)),
    invalidVsLive: overRounds((r) => ratio(r.invalid, r.live)),
    cpuProtectedVsLive: overRounds((r) => cpuRatio(r.protectedToken, r.live)),
    cpuInvalidVsLive: overRounds((r) => cpuRatio(r.invalid, r.live)),
    protectedP99VsLiveP99: overRounds((r) => latencyRatio(r.protectedToken.p99, r.live.p99)),
    liveVsKit: overRounds((r) => (r.kit ? ratio(r.live, r.kit) : null)),
    cpuLiveVsKit: overRounds((r) => (r.kit ? cpuRatio(r.live, r.kit) : null)),
  }
  const showRounds = (value: ReturnType<typeof overRounds>) =>
    `median ${value.median}${value.interval ? ` [95%: ${value.interval.join('-')}]` : ''} (${value.rounds.join(', ')})`

  const percent = (rate: number | undefined) =>
    rate === undefined ? '-' : `${Math.floor(rate * 10000) / 100}%`
  const cacheHits = [
    ...rows
      .filter((row) => row.cacheHitRate !== undefined)
      .map((row) => `${row.title.split(', ').at(-1)} ${percent(row.cacheHitRate)}`),
    `paired rounds ${pairedRounds.map((round) => percent(round.protectedToken.cacheHitRate)).join(', ')}`,
  ].join('; ')
  const load = loadavg()
    .map((value) => value.toFixed(2))
    .join(' ')
  const loadGenerator =
    LOAD_GENERATOR !== 'wrk'
      ? 'autocannon'
      : pinned()
        ? 'wrk -t1 on core 1, servers on core 0 (--pin)'
        : `wrk -t${WRK_THREADS}`
  const report = {
    machine,
    loadGenerator,
    loadAverageAtEnd: load,
    deployment,
    db: DB,
    users: USERS,
    durationSeconds: DURATION,
    connections: CONNECTIONS,
    rows: [top, bare, kit, ...rows.slice(0, -1), alone, flooded, flood, rows.at(-1)!],
    ratios: {
      liveVsCeiling: ratio(live, top),
      liveVsBareAdonis: ratio(live, bare),
      liveVsKit: ratio(live, kit),
      cpu: {
        protectedVsLive: cpuRatio(protectedToken, live),
        invalidVsLive: cpuRatio(invalid, live),
        liveVsKit: cpuRatio(live, kit),
      },
      protectedP99VsLiveP99: p99Ratio,
      protectedVsHealth: ratio(protectedToken, health),
      invalidVsHealth: ratio(invalid, health),
      protectedVsLive: ratio(protectedToken, live),
      invalidVsLive: ratio(invalid, live),
      p99UnderFlood: Math.round((flooded.p99 / alone.p99) * 100) / 100,
      paired,
    },
    pairedRounds,
    queriesPerRequest: counts,
  }

  const table = [
    '| scenario | requests/s | × /health/live | × ceiling | CPU µs/request | p50 ms | p99 ms | errors |',
    '|---|---:|---:|---:|---:|---:|---:|---:|',
    ...report.rows.map(
      (row) =>
        `| ${row.title} | ${row.rps} | ${ratio(row, live)} | ${ratio(row, top)} | ${row.cpuUs ?? '-'} | ${row.p50} | ${row.p99} | ${row.errors} |`
    ),
  ]
  const queries = [
    '| request | SQL queries | writes |',
    '|---|---:|---:|',
    ...Object.entries(counts).map(([title, c]) => `| ${title} | ${c.queries} | ${c.writes} |`),
  ]
  /*
   * The performance issue's targets, judged on the paired medians (the single
   * rows above move far more from run to run) and the counted queries.
   */
  const steadyCounts = counts['protected, steady state']
  /**
   * Met or not on the median; "reliably" when the whole 95% interval of the
   * median is on the same side, "within noise" when the interval straddles it.
   */
  const judge = (
    title: string,
    value: number | null | ReturnType<typeof overRounds>,
    met: (v: number) => boolean
  ) => {
    const median = typeof value === 'object' && value !== null ? value.median : value
    const interval = typeof value === 'object' && value !== null ? value.interval : null
    let verdict = median === null ? 'not measured' : met(median) ? 'met' : 'NOT MET'
    if (median !== null && interval) {
      const sure = met(interval[0]) === met(median) && met(interval[1]) === met(median)
      verdict += sure ? ', reliably' : ` within noise (95%: ${interval.join('-')})`
    }
    return `  ${title.padEnd(42)} ${median ?? '-'}  ${verdict}`
  }
  const targets = [
    `Targets (${clustered() ? 'PostgreSQL + cluster' : 'defaults'}; paired medians of this run):`,
    judge('protected >= 0.8x /health/live', paired.protectedVsLive, (v) => v >= 0.8),
    ...(clustered()
      ? []
      : [
          judge('random invalid key >= 0.9x', paired.invalidVsLive, (v) => v >= 0.9),
          judge('protected p99 <= 1.5x live p99', paired.protectedP99VsLiveP99, (v) => v <= 1.5),
          judge("/health/live >= 0.9x the kit's route", paired.liveVsKit, (v) => v >= 0.9),
          judge(
            'queries + writes per steady-state request',
            steadyCounts.queries + steadyCounts.writes,
            (v) => v === 0
          ),
        ]),
  ]
  writeFileSync(`${ROOT}tmp/bench-${DB}.json`, JSON.stringify(report, null, 2))
  return [
    `Gatehouse bench: ${deployment}, ${USERS} users/tokens, ${CONNECTIONS} connections, ${DURATION} s per scenario`,
    `Load generator: ${loadGenerator} (the rows at a fixed rate: autocannon -R)`,
    `Machine: ${machine}; load average at the end: ${load} (the load generator runs on the same cores)`,
    '',
    ...table,
    '',
    'Ratios of requests/s (and, in brackets, of CPU per request: the same ratio as if each server had a core of its own):',
    `protected/health-live     ${report.ratios.protectedVsLive} (${report.ratios.cpu.protectedVsLive})  (target >= 0.8)`,
    `invalid/health-live       ${report.ratios.invalidVsLive} (${report.ratios.cpu.invalidVsLive})  (target >= 0.9)`,
    `protected p99/live p99    ${p99Ratio}  (target <= 1.5)`,
    `health-live/kit stack     ${report.ratios.liveVsKit} (${report.ratios.cpu.liveVsKit})  (target >= 0.9)`,
    `${ROUNDS} paired rounds (${kitRoute ? "the kit's route, " : ''}live, protected, invalid back to back; requests/s ratios, then CPU):`,
    `  protected/health-live   ${showRounds(paired.protectedVsLive)}; CPU ${showRounds(paired.cpuProtectedVsLive)}`,
    `  invalid/health-live     ${showRounds(paired.invalidVsLive)}; CPU ${showRounds(paired.cpuInvalidVsLive)}`,
    `  protected p99/live p99  ${showRounds(paired.protectedP99VsLiveP99)}`,
    kitRoute
      ? `  health-live/kit stack   ${showRounds(paired.liveVsKit)}; CPU ${showRounds(paired.cpuLiveVsKit)}`
      : '  health-live/kit stack   not paired here (a cluster against one process; see the defaults run)',
    `token cache hits in the protected rows: ${cacheHits}`,
    `health-live/bare route    ${report.ratios.liveVsBareAdonis}`,
    `health-live/ceiling       ${report.ratios.liveVsCeiling}`,
    `protected p99 under login flood: ${alone.p99} ms -> ${flooded.p99} ms (x${report.ratios.p99UnderFlood}, target <= 2)`,
    '',
    ...targets,
    '',
    ...queries,
  ].join('\n')
}

process.on('SIGINT', () => {
  void Promise.all([stopServer(), stopKitServer()]).finally(() => process.exit(130))
})

try {
  await main()
} catch (error) {
  process.exitCode = 1
  console.error(error)
} finally {
  await Promise.all([stopServer(), stopKitServer()])
}
