import type { AppProcess } from '#tests/helpers/app_process'

/*
| Child servers that tests need fresh (one per test, stopped by the test) boot
| in the background from the start of the run, once the database is ready,
| one after another: while the in-process tests keep one core busy, the boots
| use the other, and a test rarely waits for its server. tests/bootstrap.ts
| calls startEarlyProcesses() after the migrations and stopEarlyProcesses() at
| the end (what no test took, e.g. filtered out, is killed there).
|
| They run with the suite's APP_KEY: the one write of a boot, the APP_KEY
| sweep, then touches only tokens sealed with another key, which only
| app_key_rotation.spec.ts commits; that group holds the boots meanwhile
| (holdEarlyProcesses).
*/

const registered = new Map<string, () => Promise<AppProcess>>()
const servers = new Map<string, Promise<AppProcess>>()
let chain: Promise<unknown> = Promise.resolve()
let current: Promise<unknown> = Promise.resolve()
let held: PromiseWithResolvers<void> | undefined
let started = false

function launch(name: string) {
  const start = registered.get(name)!
  const server = chain.then(async () => {
    while (held) await held.promise
    const booting = start()
    current = booting.catch(() => {})
    return booting
  })
  server.catch(() => {}) // reported by the test that takes it
  chain = server.catch(() => {})
  servers.set(name, server)
}

/** Registers a server to boot early (at import of a spec file); returns how a test takes it. */
export function bootEarly(name: string, start: () => Promise<AppProcess>) {
  if (registered.has(name)) throw new Error(`bootEarly: "${name}" is already registered`)
  registered.set(name, start)
  if (started) launch(name)
  return () => {
    if (!servers.has(name)) launch(name)
    return servers.get(name)!
  }
}

export function startEarlyProcesses() {
  started = true
  for (const name of registered.keys()) if (!servers.has(name)) launch(name)
}

/**
 * Boots not begun wait until released; resolves once the one under way (if
 * any) is up: a start function resolves only once its processes have booted.
 */
export async function holdEarlyProcesses() {
  held ??= Promise.withResolvers()
  await current
}

export function releaseEarlyProcesses() {
  held?.resolve()
  held = undefined
}

export async function stopEarlyProcesses() {
  releaseEarlyProcesses()
  for (const server of servers.values()) {
    const running = await server.catch(() => null)
    await running?.kill()
  }
}
