import { test } from '@japa/runner'
import { spawnSync } from 'node:child_process'
import app from '@adonisjs/core/services/app'

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
      const { status, output } = aceWith({ [name]: value })
      assert.notEqual(status, 0)
      assert.match(output, message)
    })
    .timeout(60_000)

  test('valid settings pass', ({ assert }) => {
    const { status } = aceWith({
      DB_CONNECTION: 'pg',
      DATABASE_URL: 'postgres://postgres@127.0.0.1:5432/nowhere',
      SHUTDOWN_TIMEOUT: '30',
    })
    assert.equal(status, 0)
  }).timeout(60_000)
})
