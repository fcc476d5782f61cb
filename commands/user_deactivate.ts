import { BaseCommand, args } from '@adonisjs/core/ace'
import type { CommandOptions } from '@adonisjs/core/types/ace'
import userService from '#services/user_service'

/** Sets is_active to false (Django admin's "active" checkbox). */
export default class UserDeactivate extends BaseCommand {
  static commandName = 'user:deactivate'
  static description = 'Deactivate a user: their tokens are refused from the next request'
  static options: CommandOptions = { startApp: true }

  @args.string({ description: 'Username' })
  declare username: string

  async run() {
    const user = await userService.findByUsername(this.username)
    if (!user) {
      this.logger.error(`No user named "${this.username}".`)
      this.exitCode = 1
      return
    }
    if (!user.isActive) {
      this.logger.info(`User "${user.username}" is already inactive.`)
      return
    }
    await userService.setActive(user, false)
    this.logger.success(`Deactivated user "${user.username}".`)
  }
}
