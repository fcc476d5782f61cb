import { test } from '@japa/runner'
import { readFileSync } from 'node:fs'
import http from 'node:http'
import net from 'node:net'
import app from '@adonisjs/core/services/app'
import { sqlitePath } from '#config/database'
import appEnv from '#start/env'
import { AppProcess, freePort } from '#tests/helpers/app_process'
import { dialectName } from '#tests/helpers/database'
import { bootEarly } from '#tests/helpers/early_processes'

/*
| The production server (bin/server.ts, and bin/cluster.ts with two workers)
| in child processes on this suite's database, stopped under a sign-in flood
| (wrong passwords on keep-alive connections, throttle raised so every
| attempt costs a hash) plus keep-alive /health/live traffic. "Exited 0"
| means the drain finished before SHUTDOWN_TIMEOUT: at the deadline a process
| logs how many requests it cut and exits 1.
*/

const RESTARTING = 'The server is restarting. Try again in a few seconds.'

function serverEnv(extra: Record<string, string> = {}) {
  const database = app.config.get<any>('database.connections.pg.connection')
  return {
    // The suite's key: booted early, the boot's APP_KEY sweep must leave the tests' tokens alone.
    APP_KEY: appEnv.get('APP_KEY').release(),
    LOG_LEVEL: 'warn',
    LIMITER_STORE: 'memory',
    LOGIN_THROTTLE_IP_REQUESTS: '1000000',
    LOGIN_THROTTLE_USER_REQUESTS: '1000000',
    TOKEN_CACHE: 'off',
    DB_AUTO_MIGRATE: 'false',
    ...(dialectName() === 'postgres'
      ? { DB_CONNECTION: 'pg', DB_DATABASE: database.database }
      : { DB_CONNECTION: 'sqlite', DB_SQLITE_PATH: sqlitePath }),
    ...extra,
  }
}

interface RawReply {
  status: number
  headers: Record<string, string>
  body: string
}

/**
 * One TCP connection spoken to by hand: a request can be sent in parts (so
 * that it is, or is not yet, received when the signal arrives), and the
 * connection stays open between answers (keep-alive).
 */
class Connection {
  #data = Buffer.alloc(0)
  #onData?: () => void
  readonly closed: Promise<void>

  private constructor(readonly socket: net.Socket) {
    socket.on('data', (chunk) => {
      this.#data = Buffer.concat([this.#data, chunk])
      this.#onData?.()
    })
    socket.on('error', () => {})
    this.closed = new Promise((resolve) => socket.once('close', () => resolve()))
    this.closed.then(() => this.#onData?.())
  }

  static open(port: number) {
    return new Promise<Connection>((resolve, reject) => {
      const socket = net.connect({ host: '127.0.0.1', port }, () => resolve(new Connection(socket)))
      socket.once('error', reject)
    })
  }

  get isClosed() {
    return this.socket.destroyed
  }

  write(bytes: string) {
    this.socket.write(bytes)
  }

  /** The next whole answer (by Content-Length); null if the server closes without one. */
  reply(): Promise<RawReply | null> {
    return new Promise((resolve) => {
      const check = () => {
        const end = this.#data.indexOf('\r\n\r\n')
        if (end !== -1) {
          const [statusLine, ...lines] = this.#data
            .subarray(0, end)
            .toString('latin1')
            .split('\r\n')
          const headers: Record<string, string> = {}
          for (const line of lines) {
            const colon = line.indexOf(':')
            headers[line.slice(0, colon).trim().toLowerCase()] = line.slice(colon + 1).trim()
          }
          const length = Number(headers['content-length'] ?? 0)
          if (this.#data.length >= end + 4 + length) {
            const body = this.#data.subarray(end + 4, end + 4 + length).toString('utf8')
            this.#data = this.#data.subarray(end + 4 + length)
            this.#onData = undefined
            return resolve({ status: Number(statusLine.split(' ')[1]), headers, body })
          }
        }
        if (this.isClosed) {
          this.#onData = undefined
          resolve(null)
        }
      }
      this.#onData = check
      check()
    })
  }

  /**
   * Sends the head of a sign-in and part of its body, and resolves once the
   * server has received the head (its "100 Continue"): a request in progress.
   */
  static async halfSignIn(port: number) {
    const connection = await Connection.open(port)
    connection.write(signInHead + signInBody.slice(0, 10))
    await new Promise<void>((resolve, reject) => {
      const check = () => {
        const end = connection.#data.indexOf('\r\n\r\n')
        if (end !== -1) {
          const interim = connection.#data.subarray(0, end).toString('latin1')
          if (!interim.startsWith('HTTP/1.1 100')) return reject(new Error(interim))
          connection.#data = connection.#data.subarray(end + 4)
          connection.#onData = undefined
          return resolve()
        }
        if (connection.isClosed) reject(new Error('closed before 100 Continue'))
      }
      connection.#onData = check
      check()
    })
    return connection
  }

  /** Sends the rest of halfSignIn's body and reads the answer. */
  finishSignIn() {
    this.write(signInBody.slice(10))
    return this.reply()
  }

  /** A keep-alive connection that has had one answer and now sits idle. */
  static async idle(port: number) {
    const connection = await Connection.open(port)
    connection.write('GET /health/live HTTP/1.1\r\nHost: gatehouse\r\n\r\n')
    const reply = await connection.reply()
    if (reply?.status !== 200) throw new Error(`GET /health/live answered ${reply?.status}`)
    return connection
  }
}

const signInBody = JSON.stringify({ username: 'nobody', password: 'not the password' })
const signInHead =
  'POST /api-token-auth/ HTTP/1.1\r\nHost: gatehouse\r\nContent-Type: application/json\r\n' +
  `Expect: 100-continue\r\nContent-Length: ${signInBody.length}\r\n\r\n`

/**
 * Keep-alive clients in a loop until the server refuses their connection:
 * `signIns` posting wrong passwords, `live` polling /health/live.
 */
function flood(port: number, options: { signIns: number; live: number }) {
  const answers: { path: string; status: number; retryAfter?: string; body: string }[] = []
  const errors: string[] = []
  let stopped = false

  const client = async (path: string, body?: string) => {
    const agent = new http.Agent({ keepAlive: true, maxSockets: 1 })
    while (!stopped) {
      const outcome = await new Promise<'ok' | 'refused' | 'failed'>((resolve) => {
        const req = http.request(
          { host: '127.0.0.1', port, path, agent, method: body ? 'POST' : 'GET' },
          (res) => {
            let text = ''
            res.setEncoding('utf8')
            res.on('data', (chunk) => (text += chunk))
            res.on('end', () => {
              answers.push({
                path,
                status: res.statusCode!,
                retryAfter: res.headers['retry-after'],
                body: text,
              })
              resolve('ok')
            })
          }
        )
        if (body) req.setHeader('content-type', 'application/json')
        req.on('error', (error: NodeJS.ErrnoException) => {
          errors.push(error.code ?? error.message)
          resolve(error.code === 'ECONNREFUSED' ? 'refused' : 'failed')
        })
        req.end(body)
      })
      if (outcome === 'refused') break
    }
    agent.destroy()
  }

  const clients = [
    ...Array.from({ length: options.signIns }, () => client('/api-token-auth/', signInBody)),
    ...Array.from({ length: options.live }, () => client('/health/live')),
  ]
  return {
    answers,
    errors,
    /** Resolves once both kinds of request have been answered (the flood is on). */
    async started() {
      while (
        !['/api-token-auth/', '/health/live'].every((p) => answers.some((a) => a.path === p))
      ) {
        await new Promise((resolve) => setTimeout(resolve, 20))
      }
    },
    async done() {
      await Promise.all(clients)
    },
    stop() {
      stopped = true
    },
  }
}

/** What a flood got back: only the answers a draining server may give. */
function assertFloodAnswers(
  assert: any,
  answers: ReturnType<typeof flood>['answers'],
  errors: string[]
) {
  for (const answer of answers) {
    if (answer.path === '/health/live') {
      assert.equal(answer.status, 200, answer.body)
    } else if (answer.status === 503) {
      assert.equal(answer.retryAfter, '5')
      assert.include(
        [
          RESTARTING,
          'Too many sign-in attempts are being checked right now. Try again in a few seconds.',
        ],
        JSON.parse(answer.body).detail
      )
    } else {
      assert.equal(answer.status, 400, answer.body)
    }
  }
  // Waiting for a hash slot at the signal: answered 503 at once, not cut.
  assert.isTrue(
    answers.some((a) => a.status === 503 && JSON.parse(a.body).detail === RESTARTING),
    'sign-ins waiting at the signal were answered 503'
  )
  // Refused connections after the drain began; resets only for requests the
  // server never received (sent on a keep-alive connection as it was closed idle).
  for (const code of errors) assert.include(['ECONNREFUSED', 'ECONNRESET', 'EPIPE'], code)
}

/** Pids of a process's children (the cluster's workers). */
function childrenOf(pid: number) {
  return readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').trim().split(/\s+/).map(Number)
}

/**
 * Under a flood, with a request half received and an idle keep-alive
 * connection per worker: SIGTERM, then checks the drain as it happens.
 */
async function stopUnderFlood(assert: any, server: AppProcess, workers: number) {
  // Opened one after another: node:cluster hands connections to workers in turn.
  const idle: Connection[] = []
  const pendingHealth: Connection[] = []
  for (let i = 0; i < workers; i++) idle.push(await Connection.idle(server.port))
  for (let i = 0; i < workers; i++) {
    const connection = await Connection.open(server.port)
    connection.write('GET /health HTTP/1.1\r\nHost: gatehouse\r\n')
    pendingHealth.push(connection)
  }
  const signIn = await Connection.halfSignIn(server.port)

  const traffic = flood(server.port, { signIns: 8, live: 2 })
  await traffic.started()
  server.signal('SIGTERM')

  // Idle keep-alive connections are closed at once, while requests are still open.
  await Promise.all(idle.map((connection) => connection.closed))
  assert.isTrue(server.running)

  // Received before the signal (or half of it): answered, with Connection: close.
  for (const connection of pendingHealth) {
    connection.write('\r\n')
    const reply = await connection.reply()
    assert.equal(reply?.status, 503)
    assert.equal(reply?.headers.connection, 'close')
    assert.equal(reply?.headers['retry-after'], '5')
    assert.deepEqual(JSON.parse(reply!.body), {
      detail: 'The server is shutting down.',
      status: 'draining',
    })
  }
  const signInReply = await signIn.finishSignIn()
  assert.include([400, 503], signInReply?.status ?? 0)
  assert.equal(signInReply?.headers.connection, 'close')

  const exit = await server.exited
  traffic.stop()
  await traffic.done()
  assert.deepEqual(exit, { code: 0, signal: null }, server.output)
  assert.notMatch(server.output, /cut \d+ request/)
  assertFloodAnswers(assert, traffic.answers, traffic.errors)
}

test.group('Graceful shutdown: one process', (group) => {
  // Child processes boot on a machine that may be busy: room beyond the suite's 30 s.
  group.each.timeout(60_000)
  // Each test stops a fresh server of its own: booted early (tests/helpers/early_processes.ts).
  const single =
    (env: Record<string, string> = {}) =>
    () =>
      AppProcess.start({ env: serverEnv(env) })
  const forFlood = bootEarly('shutdown: flood', single())
  const forTimeout = bootEarly('shutdown: timeout', single({ SHUTDOWN_TIMEOUT: '1s' }))
  const forSecondSigint = bootEarly('shutdown: second SIGINT', single())
  const forSigintAfterSigterm = bootEarly('shutdown: SIGINT after SIGTERM', single())
  const forRequestLog = bootEarly('shutdown: request log', single({ LOG_LEVEL: 'info' }))
  const forQuietLog = bootEarly('shutdown: quiet request log', single({ LOG_LEVEL: 'info' }))

  test('SIGTERM under a sign-in flood drains, exits 0, and a restart serves at once', async ({
    assert,
  }) => {
    const server = await forFlood()
    try {
      await stopUnderFlood(assert, server, 1)
      const again = await AppProcess.start({ env: serverEnv(), port: server.port })
      const health = await fetch(`${again.url}/health`)
      assert.equal(health.status, 200)
      assert.deepEqual(await again.stop(), { code: 0, signal: null })
    } finally {
      await server.kill()
    }
  })

  test('every request log line is written, whole, before the process exits', async ({ assert }) => {
    // pino writes the request log asynchronously, 4 KiB at a time (config/logger.ts): what is still
    // buffered when the process stops must be flushed, not lost or cut mid-line.
    const server = await forRequestLog()
    try {
      const agent = new http.Agent({ keepAlive: true, maxSockets: 32 })
      const get = (path: string) =>
        new Promise<number>((resolve, reject) => {
          http
            .get(`${server.url}${path}`, { agent }, (res) => {
              res.resume()
              res.on('end', () => resolve(res.statusCode ?? 0))
            })
            .on('error', reject)
        })
      // ~150 KB of log: several writes, within the 256 KB of output AppProcess keeps.
      const paths = Array.from({ length: 600 }, (_, i) => `/health/live?n=${i}`)
      const statuses = await Promise.all(paths.map(get))
      agent.destroy()
      assert.deepEqual(new Set(statuses), new Set([200]))

      assert.deepEqual(await server.stop(), { code: 0, signal: null })
      const lines = server.output.split('\n').filter((line) => line.includes('"http request"'))
      // Every line whole (JSON.parse throws on a cut one); the readiness probe's /health too.
      const logged = lines.map((line) => JSON.parse(line) as { path: string; status: number })
      // The path is logged without its query string.
      const live = logged.filter((entry) => entry.path === '/health/live' && entry.status === 200)
      assert.lengthOf(live, paths.length)
    } finally {
      await server.kill()
    }
  })

  test('a quiet server writes a request log line at once, not when 4 KiB have gathered', async ({
    assert,
  }) => {
    // The request log is written in 4 KiB chunks (config/logger.ts) and at least every 100 ms:
    // one request's line must show while the process runs, long before the buffer fills.
    const server = await forQuietLog()
    try {
      const response = await fetch(`${server.url}/quiet-log-check`)
      assert.equal(response.status, 404)
      await response.arrayBuffer()
      const [line] = await server.waitForOutput(/^\{.*"path":"\/quiet-log-check".*\}$/m, 2_000)
      assert.include(JSON.parse(line), { path: '/quiet-log-check', status: 404 })
      assert.isTrue(server.running)
    } finally {
      await server.kill()
    }
  })

  test('at SHUTDOWN_TIMEOUT what is still open is cut: one line, exit 1', async ({ assert }) => {
    const server = await forTimeout()
    try {
      // A client that never finishes its body: the request is received, never complete.
      const stuck = await Connection.halfSignIn(server.port)

      const exit = await server.stop()
      assert.deepEqual(exit, { code: 1, signal: null })
      assert.isNull(await stuck.reply())
      const lines = server.output.split('\n').filter((line) => /cut \d+ request/.test(line))
      assert.lengthOf(lines, 1)
      assert.include(lines[0], 'did not finish within 1000 ms: cut 1 request(s) in progress')
    } finally {
      await server.kill()
    }
  })

  test('a second SIGINT during the drain stops at once', async ({ assert }) => {
    const server = await forSecondSigint()
    try {
      const stuck = await Connection.halfSignIn(server.port)
      const idle = await Connection.idle(server.port)

      server.signal('SIGINT')
      await idle.closed
      assert.isTrue(server.running)
      server.signal('SIGINT')

      assert.deepEqual(await server.exited, { code: 130, signal: null })
      assert.isNull(await stuck.reply())
    } finally {
      await server.kill()
    }
  })

  test('a SIGINT after SIGTERM (as a worker may see a Ctrl-C) does not cut the drain', async ({
    assert,
  }) => {
    const server = await forSigintAfterSigterm()
    try {
      const pending = await Connection.halfSignIn(server.port)
      const idle = await Connection.idle(server.port)

      server.signal('SIGTERM')
      await idle.closed
      server.signal('SIGINT')
      // Still draining: the request in progress gets its answer.
      const reply = await pending.finishSignIn()
      assert.include([400, 503], reply?.status ?? 0, server.output)
      assert.deepEqual(await server.exited, { code: 0, signal: null }, server.output)
    } finally {
      await server.kill()
    }
  })
})

test.group('Graceful shutdown: cluster (bin/cluster.ts, two workers)', (group) => {
  group.each.timeout(60_000)

  const cluster = (env: Record<string, string> = {}, port?: number) =>
    AppProcess.start({
      script: 'bin/cluster.ts',
      port,
      env: serverEnv({ WEB_CONCURRENCY: '2', ...env }),
      readyOutput: /cluster: 2 workers listening/,
      detached: true,
    })
  const forFlood = bootEarly('shutdown: cluster flood', () => cluster())
  const forCrash = bootEarly('shutdown: cluster crash', () => cluster())
  // Something else holds the port: every worker fails to listen.
  const forKeepDying = bootEarly('shutdown: cluster keeps dying', async () => {
    const blocker = net.createServer()
    const port = await freePort()
    await new Promise<void>((resolve) => blocker.listen(port, '127.0.0.1', resolve))
    const server = await AppProcess.launch({
      script: 'bin/cluster.ts',
      port,
      env: serverEnv({ WEB_CONCURRENCY: '2' }),
    })
    // Resolved once it gave up: its workers boot (and sweep) until then.
    await server.exited
    blocker.close()
    return server
  })

  test('SIGTERM to the primary under a flood: every worker drains, exit 0, restart serves', async ({
    assert,
  }) => {
    const server = await forFlood()
    try {
      const workers = childrenOf(server.pid)
      assert.lengthOf(workers, 2)
      await stopUnderFlood(assert, server, 2)
      assert.match(server.output, /cluster: every worker has stopped/)
      assert.notMatch(server.output, /starting another/)
      for (const pid of workers) assert.throws(() => process.kill(pid, 0))

      const again = await cluster({}, server.port)
      const health = await fetch(`${again.url}/health`)
      assert.equal(health.status, 200)
      assert.deepEqual(await again.stop(), { code: 0, signal: null })
    } finally {
      await server.kill()
    }
  })

  test('a crashed worker is replaced; Ctrl-C (SIGINT to the group) drains without restarts', async ({
    assert,
  }) => {
    const server = await forCrash()
    try {
      const [victim] = childrenOf(server.pid)
      process.kill(victim, 'SIGKILL')
      await server.waitForOutput(
        new RegExp(`worker ${victim} exited \\(SIGKILL\\); starting another in 100 ms`)
      )
      await server.waitForOutput(/listening \(a replacement\)/)
      assert.lengthOf(childrenOf(server.pid), 2)

      // Each worker has a request half received and an idle connection.
      const idle = [await Connection.idle(server.port), await Connection.idle(server.port)]
      const pending = [
        await Connection.halfSignIn(server.port),
        await Connection.halfSignIn(server.port),
      ]

      server.signal('SIGINT', { group: true })
      await Promise.all(idle.map((connection) => connection.closed))
      for (const connection of pending) {
        const reply = await connection.finishSignIn()
        assert.include([400, 503], reply?.status ?? 0, server.output)
        assert.equal(reply?.headers.connection, 'close')
      }

      assert.deepEqual(await server.exited, { code: 0, signal: null }, server.output)
      assert.equal(server.output.match(/starting another/g)?.length, 1)
    } finally {
      await server.kill()
    }
  })

  test('workers that keep dying at start: the primary gives up with exit 1', async ({ assert }) => {
    const server = await forKeepDying()
    const exit = await server.exited
    assert.deepEqual(exit, { code: 1, signal: null })
    assert.match(server.output, /cluster: workers keep dying before they listen \(3 in a row/)
  })
})
