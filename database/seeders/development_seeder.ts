import { BaseSeeder } from '@adonisjs/lucid/seeders'
import string from '@adonisjs/core/helpers/string'
import ace from '@adonisjs/core/services/ace'
import tokenService from '#services/token_service'
import userService from '#services/user_service'

export const DEMO_USERNAME = 'demo'

/**
 * `node ace db:seed`: a demo user with a fresh random password, printed once.
 * Lucid skips this seeder in production ("ignored"); it never runs there.
 * Run again, it gives the existing demo user a new password.
 */
export default class DevelopmentSeeder extends BaseSeeder {
  static environment = ['development', 'test']

  async run() {
    const password = string.random(20)
    let user = await userService.findByUsername(DEMO_USERNAME)
    if (user) {
      user.password = password
      await user.save()
    } else {
      user = await userService.create({
        username: DEMO_USERNAME,
        email: 'demo@example.com',
        password,
      })
    }
    const { value } = await tokenService.getOrCreate(user)

    // Through the running ace kernel's UI: the console under `node ace`, memory in tests.
    ace.ui.logger.log(`Demo user: ${DEMO_USERNAME}`)
    ace.ui.logger.log(`Password:  ${password}`)
    ace.ui.logger.log(`Token:     ${value}`)
  }
}
