/*
| Starts and stops a Gatehouse server in a child process, for tests, the soak
| and the bench: bin/server.ts by default (TypeScript through ./ts_hooks.js),
| bin/cluster.ts, or a built bin/*.js; on a free loopback port unless one is given; ready
| once GET /health answers 200 (polled, bounded) and, when asked, once a line
| of its output matches. No test-runner import here: scripts use it too.
*/

import { spawn, type ChildProcess } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { request } from 'node:http'
import net from 'node:net'

const ROOT = new URL('../../', import.meta.url).pathname
/** Node's flag that loads the TypeScript of bin/*.ts and the app (in-thread, see ts_hooks.js). */
export const TS_HOOKS = `--import=${new URL('./ts_hooks.js', import.meta.url).href}`
const OUTPUT_LIMIT = 256 * 1024

export interface AppProcessOptions {
  /** Script to run, relative to cwd: bin/server.ts (default), bin/cluster.ts, bin/server.js… */
  script?: string
  /** Working directory: the repository (default) or a build. */
  cwd?: string
  /** Port to listen on (e.g. a restart on the same port); default: a free one. */
  port?: number
  /** On top of process.env and the defaults (production, loopback, a fresh APP_KEY). */
  env?: Record<string, string | undefined>
  /** Also wait for a line of output matching this (e.g. every cluster worker listening). */
  readyOutput?: RegExp
  /** In a process group of its own, so `signal(…, { group: true })` reaches every process. */
  detached?: boolean
  /** Copy the process's output to this process's stderr as it comes. */
  echo?: boolean
  /**
   * Its stdout (the request log) goes nowhere, as a service's would go to a
   * file, instead of being read by this process (the bench: reading it would
   * load the cores it measures). stderr is still kept; `readyOutput` and
   * `output` then see only stderr.
   */
  discardStdout?: boolean
  startTimeoutMs?: number
}

export interface Exit {
  code: number | null
  signal: NodeJS.Signals | null
}

/** A port nothing listens on right now (the kernel's pick). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer()
    server.once('error', reject)
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo
      server.close(() => resolve(port))
    })
  })
}

/** GET on a fresh connection; the status, or null when nothing answers. */
function probe(port: number, path: string): Promise<number | null> {
  return new Promise((resolve) => {
    const req = request({ host: '127.0.0.1', port, path, agent: false, timeout: 2000 }, (res) => {
      res.resume()
      res.on('end', () => resolve(res.statusCode ?? null))
    })
    req.on('timeout', () => req.destroy())
    req.on('error', () => resolve(null))
    req.end()
  })
}

export class AppProcess {
  #output = ''
  #waiters: Array<{ pattern: RegExp; resolve: (match: RegExpMatchArray) => void }> = []
  readonly exited: Promise<Exit>

  private constructor(
    readonly child: ChildProcess,
    readonly port: number,
    private detached: boolean
  ) {
    const keep = (chunk: Buffer) => {
      this.#output = (this.#output + chunk.toString()).slice(-OUTPUT_LIMIT)
      for (const waiter of [...this.#waiters]) {
        const match = this.#output.match(waiter.pattern)
        if (match) {
          this.#waiters.splice(this.#waiters.indexOf(waiter), 1)
          waiter.resolve(match)
        }
      }
    }
    child.stdout?.on('data', keep)
    child.stderr!.on('data', keep)
    this.exited = new Promise((resolve) => {
      child.once('exit', (code, signal) => resolve({ code, signal }))
    })
  }

  /** Starts a server and resolves once it serves; throws (with its output) if it exits or hangs. */
  static async start(options: AppProcessOptions = {}): Promise<AppProcess> {
    const app = await AppProcess.launch(options)
    try {
      await app.#waitUntilReady(options.startTimeoutMs ?? 60_000, options.readyOutput)
    } catch (error) {
      await app.kill()
      throw error
    }
    return app
  }

  /** Starts a server without waiting for it to serve (e.g. to see it fail). */
  static async launch(options: AppProcessOptions = {}): Promise<AppProcess> {
    const port = options.port ?? (await freePort())
    const script = options.script ?? 'bin/server.ts'
    const args = script.endsWith('.ts') ? [TS_HOOKS, script] : [script]
    const child = spawn(process.execPath, args, {
      cwd: options.cwd ?? ROOT,
      detached: options.detached ?? false,
      stdio: ['ignore', options.discardStdout ? 'ignore' : 'pipe', 'pipe'],
      env: {
        ...process.env,
        NODE_ENV: 'production',
        APP_KEY: randomBytes(32).toString('base64url'),
        APP_URL: `http://127.0.0.1:${port}`,
        LOG_LEVEL: 'warn',
        ...options.env,
        HOST: '127.0.0.1',
        PORT: String(port),
      },
    })
    if (options.echo) {
      child.stdout?.on('data', (chunk) => process.stderr.write(chunk))
      child.stderr!.on('data', (chunk) => process.stderr.write(chunk))
    }
    return new AppProcess(child, port, options.detached ?? false)
  }

  get url() {
    return `http://127.0.0.1:${this.port}`
  }

  get pid() {
    return this.child.pid!
  }

  get running() {
    return this.child.exitCode === null && this.child.signalCode === null
  }

  /** Everything it printed so far (the last 256 KB). */
  get output() {
    return this.#output
  }

  /** Resolves when its output matches (now or later); rejects if it exits first or after timeoutMs. */
  waitForOutput(pattern: RegExp, timeoutMs = 30_000): Promise<RegExpMatchArray> {
    const match = this.#output.match(pattern)
    if (match) return Promise.resolve(match)
    return new Promise((resolve, reject) => {
      const waiter = { pattern, resolve: (found: RegExpMatchArray) => settle(() => resolve(found)) }
      const fail = (reason: string) =>
        settle(() => reject(new Error(`${reason} before its output matched ${pattern}`)))
      const timer = setTimeout(() => fail(`no match within ${timeoutMs} ms`), timeoutMs)
      const settle = (done: () => void) => {
        clearTimeout(timer)
        const index = this.#waiters.indexOf(waiter)
        if (index !== -1) this.#waiters.splice(index, 1)
        done()
      }
      this.#waiters.push(waiter)
      this.exited.then(() => fail('the process exited'))
    })
  }

  /** Sends a signal to the process, or to its whole group (as a terminal's Ctrl-C does). */
  signal(signal: NodeJS.Signals, options: { group?: boolean } = {}) {
    if (!this.running) return
    if (options.group) process.kill(-this.pid, signal)
    else this.child.kill(signal)
  }

  /** Signals it (SIGTERM by default) and waits for it to exit; SIGKILL after timeoutMs. */
  async stop(options: { signal?: NodeJS.Signals; timeoutMs?: number } = {}): Promise<Exit> {
    this.signal(options.signal ?? 'SIGTERM')
    const timer = setTimeout(() => this.kill(), options.timeoutMs ?? 30_000)
    const exit = await this.exited
    clearTimeout(timer)
    return exit
  }

  /** SIGKILL, to the whole group when it has one of its own. */
  async kill(): Promise<Exit> {
    if (this.running) {
      try {
        if (this.detached) process.kill(-this.pid, 'SIGKILL')
        else this.child.kill('SIGKILL')
      } catch {}
    }
    return this.exited
  }

  async #waitUntilReady(timeoutMs: number, readyOutput?: RegExp) {
    const deadline = Date.now() + timeoutMs
    const exitedEarly = () =>
      new Error(`the app process exited while starting:\n${this.#output.slice(-4000)}`)
    while ((await probe(this.port, '/health')) !== 200) {
      if (!this.running) throw exitedEarly()
      if (Date.now() > deadline) {
        throw new Error(`the app process did not serve within ${timeoutMs} ms:\n${this.#output}`)
      }
      await new Promise((resolve) => setTimeout(resolve, 50))
    }
    if (readyOutput) await this.waitForOutput(readyOutput, Math.max(1, deadline - Date.now()))
  }
}
