import { test } from '@japa/runner'
import { spawn } from 'node:child_process'
import app from '@adonisjs/core/services/app'
import { Env } from '@adonisjs/core/env'
import { envSchema } from '#start/env'

/** Runs `node ace list` with extra environment variables; resolves to exit code and output. */
function aceWith(env: Record<string, string>) {
  const child = spawn(process.execPath, ['ace.js', 'list'], {
    cwd: app.makePath(),
    env: { ...process.env, ...env, NODE_ENV: 'development' },
    stdio: ['ignore', 'pipe', 'pipe'],
    timeout: 60_000,
  })
  let output = ''
  child.stdout.on('data', (chunk) => (output += chunk))
  child.stderr.on('data', (chunk) => (output += chunk))
  return new Promise<{ status: number | null; output: string }>((resolve, reject) => {
    child.on('error', reject)
    child.on('close', (status) => resolve({ status, output }))
  })
}

/*
| The two end-to-end runs start when this file is imported, side by side: each
| is a whole `node ace` boot (~1 s), which the suite's other work overlaps
| instead of waiting for.
*/
const aceRuns = {
  refused: aceWith({ DB_CONNECTION: 'mysql' }),
  accepted: aceWith({ SHUTDOWN_TIMEOUT: '30' }),
}
// A failure to spawn is reported by the test that awaits the run, not as an unhandled rejection.
for (const run of Object.values(aceRuns)) run.catch(() => {})

/**
 * start/env.ts's rules, in-process, with `extra` set (the validator reads
 * process.env first, so the values are set there for the call and restored).
 * Returns the validated values, or the messages a refusal prints.
 */
function validate(extra: Record<string, string>) {
  const saved = Object.fromEntries(Object.keys(extra).map((key) => [key, process.env[key]]))
  Object.assign(process.env, extra)
  try {
    return { values: Env.rules(envSchema).validate({ ...process.env }), help: '' }
  } catch (error) {
    return { values: undefined, help: String((error as { help?: string }).help ?? error) }
  } finally {
    for (const [key, value] of Object.entries(saved)) {
      if (value === undefined) delete process.env[key]
      else process.env[key] = value
    }
  }
}

test.group('Environment validation', () => {
  test('{name}={value} is refused with a message naming it')
    .with([
      { name: 'DB_CONNECTION', value: 'mysql', message: /"DB_CONNECTION".*"sqlite,pg"/ },
      { name: 'DATABASE_URL', value: 'mysql://x/y', message: /"DATABASE_URL" must be a postgres/ },
      { name: 'PORT', value: 'eighty', message: /"PORT"/ },
      { name: 'SHUTDOWN_TIMEOUT', value: 'soon', message: /"SHUTDOWN_TIMEOUT" must be a duration/ },
      { name: 'SHUTDOWN_TIMEOUT', value: '2h', message: /"SHUTDOWN_TIMEOUT" must be a duration/ },
      { name: 'METRICS_ALLOW', value: 'localhost', message: /"METRICS_ALLOW" must list IP/ },
      { name: 'METRICS_TOKEN', value: 'short', message: /"METRICS_TOKEN" must be at least 16/ },
    ])
    .run(({ assert }, { name, value, message }) => {
      const { values, help } = validate({ [name]: value })
      assert.isUndefined(values)
      assert.match(help, message)
    })

  test('valid settings pass', ({ assert }) => {
    const { values, help } = validate({
      DB_CONNECTION: 'pg',
      DATABASE_URL: 'postgres://postgres@127.0.0.1:5432/nowhere',
      SHUTDOWN_TIMEOUT: '30',
    })
    assert.equal(help, '')
    assert.equal(values?.DB_CONNECTION, 'pg')
  })

  // The same rules at the terminal, end to end: a bad value stops `node ace` with its message.
  test('node ace refuses to start with a bad value and says which', async ({ assert }) => {
    const refused = await aceRuns.refused
    assert.notEqual(refused.status, 0)
    assert.match(refused.output, /"DB_CONNECTION".*"sqlite,pg"/)
    const accepted = await aceRuns.accepted
    assert.equal(accepted.status, 0, accepted.output)
  }).timeout(60_000)
})
