import { test } from '@japa/runner'
import { spawnSync } from 'node:child_process'
import app from '@adonisjs/core/services/app'
import { Env } from '@adonisjs/core/env'
import { envSchema } from '#start/env'

/** Runs `node ace list` with extra environment variables; returns exit code and output. */
function aceWith(env: Record<string, string>) {
  const result = spawnSync(process.execPath, ['ace.js', 'list'], {
    cwd: app.makePath(),
    env: { ...process.env, ...env, NODE_ENV: 'development' },
    encoding: 'utf8',
    timeout: 60_000,
  })
  return { status: result.status, output: `${result.stdout}${result.stderr}` }
}

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
  test('node ace refuses to start with a bad value and says which', ({ assert }) => {
    const refused = aceWith({ DB_CONNECTION: 'mysql' })
    assert.notEqual(refused.status, 0)
    assert.match(refused.output, /"DB_CONNECTION".*"sqlite,pg"/)
    assert.equal(aceWith({ SHUTDOWN_TIMEOUT: '30' }).status, 0)
  }).timeout(60_000)
})
