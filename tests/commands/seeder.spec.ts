import { test } from '@japa/runner'
import { urlFor } from '@adonisjs/core/services/url_builder'
import app from '@adonisjs/core/services/app'
import authService from '#services/auth_service'
import User from '#models/user'
import { DEMO_USERNAME } from '#database/seeders/development_seeder'
import { isolateEachTest } from '#tests/helpers/database'
import { output, runCommand } from '#tests/helpers/commands'

/** The "Password:" and "Token:" lines the development seeder prints. */
function printed(lines: string[]) {
  const find = (label: string) =>
    lines
      .find((line) => line.startsWith(label))
      ?.slice(label.length)
      .trim() ?? ''
  return { password: find('Password:'), token: find('Token:') }
}

test.group('db:seed (development seeder)', (group) => {
  isolateEachTest(group)

  test('creates a demo user whose printed password and token work', async ({ assert, client }) => {
    const command = await runCommand('db:seed')

    command.assertSucceeded()
    command.assertLog(`Demo user: ${DEMO_USERNAME}`)
    command.assertLogMatches(/completed.* database\/seeders\/development_seeder$/)
    const { password, token } = printed(output(command))
    assert.lengthOf(password, 20)

    const user = await authService.attempt(DEMO_USERNAME, password)
    assert.equal(user?.username, DEMO_USERNAME)
    const response = await client
      .get(urlFor('api.v1.protected'))
      .header('Authorization', `Token ${token}`)
    response.assertStatus(200)
  })

  test('run again, it gives the demo user a new password and keeps its token', async ({
    assert,
  }) => {
    const first = printed(output(await runCommand('db:seed')))
    const second = printed(output(await runCommand('db:seed')))

    assert.notEqual(second.password, first.password)
    assert.equal(second.token, first.token)
    assert.isNull(await authService.attempt(DEMO_USERNAME, first.password))
    assert.isNotNull(await authService.attempt(DEMO_USERNAME, second.password))
    assert.lengthOf(await User.all(), 1)
  })

  test('is refused in production: ignored, no user created', async ({ assert }) => {
    // Lucid reads app.nodeEnvironment when the seeds runner is created.
    Object.defineProperty(app, 'nodeEnvironment', { value: 'production', configurable: true })
    let lines: string[]
    try {
      const command = await runCommand('db:seed')
      command.assertSucceeded()
      lines = output(command)
    } finally {
      delete (app as { nodeEnvironment?: string }).nodeEnvironment
    }

    assert.equal(app.nodeEnvironment, 'test')
    assert.isTrue(
      lines.some((line) => /ignored.* database\/seeders\/development_seeder$/.test(line))
    )
    assert.isTrue(lines.some((line) => line.includes('Disabled in "production" environment')))
    assert.isFalse(lines.some((line) => line.startsWith('Password:')))
    assert.lengthOf(await User.all(), 0)
  })
})
