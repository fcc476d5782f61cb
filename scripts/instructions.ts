/*
|--------------------------------------------------------------------------
| npm run bench:instructions [-- --requests=10000 --warm-up=20000 --skip-build]
|--------------------------------------------------------------------------
|
| The bench's ratios counted in CPU instructions instead of seconds:
| valgrind's callgrind counts every instruction a server executes, the
| same count for the same build whatever else the machine is doing, where
| requests/s on a shared 2-core VM move by a fifth from one minute to the
| next. Use it to tell whether a change made a request cheaper; use
| `npm run bench` for what users get (it counts time spent in the kernel,
| waiting and in other processes, which this does not).
|
| Each server (the app's build in production mode on SQLite with the
| defaults, and the AdonisJS starter kit's route, scripts/bare_adonis.ts
| --kit) runs under callgrind twice, on one keep-alive connection, one
| request at a time: once given --warm-up requests (20,000 by default),
| once given as many plus --requests (10,000). The difference of the two
| totals over --requests is the cost of one request in steady state
| (start-up, warm-up and shutdown cancel out). The warm-up must be long:
| V8 compiles the hot functions of the request path with its top tier
| (TurboFan) only ~10-20k requests in here (node --trace-opt); before
| that a request runs mid-tier (Maglev) code and pays for compilations
| (callgrind: /health/live ~210-250k instructions counted from 5k
| requests in, ~133k from 15k in). A native server under load reaches
| that tier within its first second, so the bench's rows run TurboFan
| code. Two servers run at a time (callgrind is single-threaded).
|
| One connection is the least favourable case for the token cache on
| SQLite: its change check (one read of the WAL index) runs once per
| event-loop turn, so here once per request; under load it is shared by
| all the requests of a turn.
|
| Needs valgrind (Debian: apt-get install valgrind). Takes ~15 minutes.
|
*/

import { spawn, spawnSync } from 'node:child_process'
import { Agent, request as httpRequest } from 'node:http'
import { randomBytes } from 'node:crypto'
import { mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { parseArgs } from 'node:util'

const { values: args } = parseArgs({
  options: {
    'requests': { type: 'string', default: '10000' },
    'warm-up': { type: 'string', default: '20000' },
    'skip-build': { type: 'boolean', default: false },
    // Below Linux's ephemeral range, as the bench's (see scripts/bench.ts).
    'port': { type: 'string', default: '30105' },
  },
})

const ROOT = fileURLToPath(new URL('../', import.meta.url))
const BUILD = `${ROOT}build/`
const NODE = process.execPath
const REQUESTS = Number(args.requests)
const WARM_UP = Number(args['warm-up'])
const SQLITE_PATH = `${ROOT}tmp/instructions.sqlite3`
const PASSWORD = 'instructions-password-1'

/** What `npm start` gets with no extra environment (as the bench's first deployment). */
const ENV: Record<string, string> = {
  NODE_ENV: 'production',
  APP_KEY: randomBytes(32).toString('base64url'),
  HOST: '127.0.0.1',
  DB_CONNECTION: 'sqlite',
  DB_SQLITE_PATH: SQLITE_PATH,
  DB_AUTO_MIGRATE: 'false',
}

/** This shell's environment without what would change the defaults being measured. */
function environment(extra: Record<string, string> = {}) {
  const env = { ...process.env }
  for (const name of Object.keys(env)) {
    if (
      /^(REDIS_|TOKEN_|LOG_LEVEL|DB_|DATABASE_URL|SESSION_|LIMITER_|WEB_CONCURRENCY)/.test(name)
    ) {
      delete env[name]
    }
  }
  return { ...env, ...ENV, ...extra }
}

function log(message: string) {
  process.stderr.write(`[instructions] ${message}\n`)
}

function run(command: string[], input?: string) {
  const result = spawnSync(NODE, command, { cwd: BUILD, env: environment(), input, stdio: 'pipe' })
  if (result.status !== 0) {
    throw new Error(`${command.join(' ')} failed:\n${result.stderr?.toString()}`)
  }
}

interface Scenario {
  title: string
  /** Node's arguments after its flags for a server on `port`, and where they run. */
  command: (port: number) => string[]
  cwd: string
  path: string
  authorization?: string
  expect: number
}

/** `count` requests one after the other on `agent` (one keep-alive connection); throws on an unexpected status. */
async function requests(agent: Agent, port: number, scenario: Scenario, count: number) {
  const headers = scenario.authorization ? { authorization: scenario.authorization } : {}
  for (let i = 0; i < count; i++) {
    const status = await new Promise<number>((resolve, reject) => {
      httpRequest({ host: '127.0.0.1', port, path: scenario.path, agent, headers }, (res) => {
        res.resume()
        res.on('end', () => resolve(res.statusCode ?? 0))
      })
        .on('error', reject)
        .end()
    })
    if (status !== scenario.expect) {
      throw new Error(`${scenario.title}: ${status} instead of ${scenario.expect}`)
    }
  }
}

async function waitUntilServing(port: number, child: ReturnType<typeof spawn>) {
  // Under callgrind a server takes tens of seconds to start.
  for (let attempt = 0; attempt < 600; attempt++) {
    if (child.exitCode !== null) throw new Error(`the server exited (${child.exitCode})`)
    const status = await new Promise<number | null>((resolve) => {
      httpRequest({ host: '127.0.0.1', port, path: '/health/live', agent: false }, (res) => {
        res.resume()
        res.on('end', () => resolve(res.statusCode ?? null))
      })
        .on('error', () => resolve(null))
        .end()
    })
    if (status === 200) return
    await new Promise((resolve) => setTimeout(resolve, 200))
  }
  throw new Error('the server did not start')
}

/** Instructions the server executed from start to exit, given WARM_UP requests then `count`. */
async function total(scenario: Scenario, port: number, count: number): Promise<number> {
  const dir = mkdtempSync(join(tmpdir(), 'gatehouse-callgrind-'))
  const out = join(dir, 'callgrind.out')
  const child = spawn(
    'valgrind',
    [
      '--tool=callgrind',
      `--callgrind-out-file=${out}`,
      NODE,
      '--single-threaded-gc',
      '--predictable-gc-schedule',
      ...scenario.command(port),
    ],
    { cwd: scenario.cwd, env: environment({ PORT: String(port) }), stdio: 'ignore' }
  )
  const exited = new Promise((resolve) => child.once('exit', resolve))
  // One connection throughout: a connection closing sends V8 back to compiling part of Node's
  // HTTP code (node --trace-deopt), which would land in one run's count and not the other's.
  const agent = new Agent({ keepAlive: true, maxSockets: 1 })
  try {
    await waitUntilServing(port, child)
    await requests(agent, port, scenario, WARM_UP + count)
  } finally {
    agent.destroy()
    child.kill('SIGTERM')
    await exited
  }
  const summary = readFileSync(out, 'utf8').match(/^(?:summary|totals): (\d+)/m)
  rmSync(dir, { recursive: true, force: true })
  if (!summary) throw new Error(`${scenario.title}: callgrind wrote no total`)
  return Number(summary[1])
}

/** Instructions per request in steady state: REQUESTS more after the same WARM_UP, in two runs. */
async function perRequest(scenario: Scenario, port: number) {
  const base = await total(scenario, port, 0)
  const more = await total(scenario, port, REQUESTS)
  const instructions = Math.round((more - base) / REQUESTS)
  log(`${scenario.title}: ${instructions.toLocaleString('en')} instructions per request`)
  return instructions
}

/** Runs the jobs two at a time (callgrind uses one core each). */
async function twoAtATime<T>(jobs: Array<(slot: number) => Promise<T>>): Promise<T[]> {
  const results: T[] = []
  let next = 0
  await Promise.all(
    [0, 1].map(async (slot) => {
      while (next < jobs.length) {
        const index = next++
        results[index] = await jobs[index](slot)
      }
    })
  )
  return results
}

/** A key for the app's user, from the app itself (POST /api-token-auth/, not under callgrind). */
async function obtainKey(port: number): Promise<string> {
  const child = spawn(NODE, ['bin/server.js'], {
    cwd: BUILD,
    env: environment({ PORT: String(port) }),
    stdio: 'ignore',
  })
  const exited = new Promise((resolve) => child.once('exit', resolve))
  try {
    await waitUntilServing(port, child)
    return await new Promise<string>((resolve, reject) => {
      const body = JSON.stringify({ username: 'instructions', password: PASSWORD })
      const req = httpRequest(
        {
          host: '127.0.0.1',
          port,
          path: '/api-token-auth/',
          method: 'POST',
          agent: false,
          headers: { 'content-type': 'application/json' },
        },
        (res) => {
          let text = ''
          res.on('data', (chunk) => (text += chunk))
          res.on('end', () => {
            const token = res.statusCode === 200 ? JSON.parse(text).token : undefined
            if (typeof token === 'string') resolve(token)
            else reject(new Error(`POST /api-token-auth/ answered ${res.statusCode}`))
          })
        }
      )
      req.on('error', reject)
      req.end(body)
    })
  } finally {
    child.kill('SIGTERM')
    await exited
  }
}

async function main() {
  if (spawnSync('valgrind', ['--version']).error) {
    console.error('valgrind is needed (Debian/Ubuntu: apt-get install valgrind)')
    process.exit(1)
  }
  if (!args['skip-build']) {
    log('building (node ace codegen && node ace build)')
    for (const step of ['codegen', 'build']) {
      const result = spawnSync(NODE, ['ace.js', step], { cwd: ROOT, stdio: 'pipe' })
      if (result.status !== 0) throw new Error(`node ace ${step} failed:\n${result.stderr}`)
    }
  }
  const port = Number(args.port)
  log('a fresh SQLite database with one user and one token')
  mkdirSync(`${ROOT}tmp`, { recursive: true })
  for (const suffix of ['', '-wal', '-shm']) rmSync(SQLITE_PATH + suffix, { force: true })
  run(['ace.js', 'migration:run', '--force'])
  run(['ace.js', 'user:create', 'instructions', '--password-stdin'], `${PASSWORD}\n`)
  const key = await obtainKey(port)
  // Well-formed, with a checksum that does not match: refused without a query.
  const invalidKey = `gth_${'x'.repeat(46)}`

  const app = (title: string, path: string, authorization?: string, expect = 200): Scenario => ({
    title,
    command: () => ['bin/server.js'],
    cwd: BUILD,
    path,
    authorization,
    expect,
  })
  const scenarios: Scenario[] = [
    {
      title: 'AdonisJS v7 route, API starter kit middleware',
      command: (serverPort) => [
        '--import=@poppinss/ts-exec',
        'scripts/bare_adonis.ts',
        String(serverPort),
        '--kit',
      ],
      cwd: ROOT,
      path: '/health/live',
      expect: 200,
    },
    app('GET /health/live', '/health/live'),
    app('GET /api/v1/protected, Token', '/api/v1/protected', `Token ${key}`),
    app(
      'GET /api/v1/protected, random invalid key',
      '/api/v1/protected',
      `Token ${invalidKey}`,
      401
    ),
  ]
  // A port per slot: two servers at a time.
  const counts = await twoAtATime(
    scenarios.map((scenario) => (slot: number) => perRequest(scenario, port + 1 + slot))
  )
  const [kit, live, protectedToken, invalid] = counts
  const ratio = (a: number, b: number) => (b / a).toFixed(2)
  const lines = [
    `Instructions per request (callgrind; ${REQUESTS} requests after ${WARM_UP}, one connection; defaults: SQLite, LOG_LEVEL=info, no Redis)`,
    '',
    '| scenario | instructions | × /health/live (as a throughput ratio) |',
    '|---|---:|---:|',
    ...scenarios.map(
      (scenario, index) =>
        `| ${scenario.title} | ${counts[index].toLocaleString('en')} | ${ratio(counts[index], live)} |`
    ),
    '',
    `protected/health-live  ${ratio(protectedToken, live)}  (the bench's target >= 0.8)`,
    `invalid/health-live    ${ratio(invalid, live)}  (target >= 0.9)`,
    `health-live/kit        ${ratio(live, kit)}  (target >= 0.9)`,
  ]
  console.log(lines.join('\n'))
}

await main()
