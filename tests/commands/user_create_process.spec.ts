import { spawn } from 'node:child_process'
import { test } from '@japa/runner'
import app from '@adonisjs/core/services/app'
import hash from '@adonisjs/core/services/hash'
import User from '#models/user'
import { TS_HOOKS } from '#tests/helpers/app_process'
import { truncateAll } from '#tests/helpers/database'

const PASSWORD = 'piped password 123'

/**
 * Runs an ace command in a child process without a terminal, as a script or CI job would:
 * bin/console.ts, what `node ace` imports once its TypeScript loader is registered, here
 * through the tests' faster one (tests/helpers/ts_hooks.js). `node ace` itself is run by
 * tests/unit/env_validation.spec.ts.
 */
function ace(argv: string[], options: { stdin?: string; env?: Record<string, string> } = {}) {
  const env: NodeJS.ProcessEnv = { ...process.env, ...options.env }
  if (!options.env?.GATEHOUSE_USER_PASSWORD) delete env.GATEHOUSE_USER_PASSWORD
  const child = spawn(process.execPath, [TS_HOOKS, 'bin/console.ts', ...argv, '--no-ansi'], {
    cwd: app.makePath(),
    env,
    stdio: ['pipe', 'pipe', 'pipe'],
  })
  let stdout = ''
  let stderr = ''
  child.stdout.on('data', (chunk) => (stdout += chunk))
  child.stderr.on('data', (chunk) => (stderr += chunk))
  child.stdin.end(options.stdin ?? '')
  return new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve, reject) => {
    child.on('error', reject)
    child.on('close', (code) => resolve({ code, stdout, stderr }))
  })
}

type AceRun = Awaited<ReturnType<typeof ace>>

test.group('user:create in a child process', (group) => {
  // An ace process boots for a second or two: the three runs start side by side on an
  // empty database when the group starts (each with a username of its own), and each test
  // checks its run.
  const runs = new Map<string, Promise<AceRun>>()
  const start = (username: string, options?: Parameters<typeof ace>[1], flags: string[] = []) => {
    const running = ace(['user:create', username, ...flags], options)
    running.catch(() => {}) // reported by the test that awaits it
    runs.set(username, running)
  }
  const run = (username: string) => runs.get(username)!
  group.setup(async () => {
    await truncateAll()
    start('piped', { stdin: `${PASSWORD}\n` }, ['--password-stdin'])
    start('fromenv', { env: { GATEHOUSE_USER_PASSWORD: PASSWORD } })
    start('nopassword')
  })
  group.teardown(async () => {
    await Promise.allSettled(runs.values())
  })

  test('--password-stdin reads the password piped in', async ({ assert }) => {
    const result = await run('piped')

    assert.equal(result.code, 0, result.stderr)
    assert.match(result.stdout, /Created user "piped" with id \d+\./)
    assert.notInclude(result.stdout + result.stderr, PASSWORD)
    const user = await User.findByOrFail('username', 'piped')
    assert.isTrue(await hash.verify(user.password, PASSWORD))
  })

  test('GATEHOUSE_USER_PASSWORD is used when nothing is piped', async ({ assert }) => {
    const result = await run('fromenv')

    assert.equal(result.code, 0, result.stderr)
    const user = await User.findByOrFail('username', 'fromenv')
    assert.isTrue(await hash.verify(user.password, PASSWORD))
  })

  test('without a terminal or a password: one line on stderr, exit code 1', async ({ assert }) => {
    const result = await run('nopassword')

    assert.equal(result.code, 1)
    assert.equal(
      result.stderr.trim(),
      '[ error ] No password given: run in a terminal, or use --password-stdin or GATEHOUSE_USER_PASSWORD.'
    )
    assert.isNull(await User.findBy('username', 'nopassword'))
  })
})
