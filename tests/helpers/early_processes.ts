import type { AppProcess } from '#tests/helpers/app_process'

/*
| Child servers that tests need fresh (one per test, stopped by the test) boot
| in the background from the start of the run, once the database is ready,
| one after another: while the unit tests keep one core busy, the boots use
| the other. A boot writes (the APP_KEY sweep), so every suite but the unit
| suite waits until they are done. tests/bootstrap.ts calls
| startEarlyProcesses() after the migrations, earlyProcessesBooted() before
| those suites, and stopEarlyProcesses() at the end (what no test took, e.g.
| filtered out, is killed there).
*/

const registered = new Map<string, () => Promise<AppProcess>>()
const booting = new Map<string, Promise<AppProcess>>()
let chain: Promise<unknown> = Promise.resolve()
let started = false

function launch(name: string) {
  const start = registered.get(name)!
  const server = chain.then(start)
  server.catch(() => {}) // reported by the test that takes it
  chain = server.catch(() => {})
  booting.set(name, server)
}

/** Registers a server to boot early (at import of a spec file); returns how a test takes it. */
export function bootEarly(name: string, start: () => Promise<AppProcess>) {
  if (registered.has(name)) throw new Error(`bootEarly: "${name}" is already registered`)
  registered.set(name, start)
  if (started) launch(name)
  return () => {
    if (!booting.has(name)) launch(name)
    return booting.get(name)!
  }
}

export function startEarlyProcesses() {
  started = true
  for (const name of registered.keys()) if (!booting.has(name)) launch(name)
}

/** Resolves once every server registered so far has booted (or failed to). */
export async function earlyProcessesBooted() {
  await chain
}

export async function stopEarlyProcesses() {
  for (const server of booting.values()) {
    const running = await server.catch(() => null)
    await running?.kill()
  }
}
