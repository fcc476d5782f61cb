import { args } from '@adonisjs/core/ace'
import type { CommandOptions } from '@adonisjs/core/types/ace'
import userService from '#services/user_service'
import audit, { CLI_ACTOR } from '#services/audit_service'
import { printable } from '#services/terminal_text'
import { GatehouseCommand } from '#commands/_gatehouse_command'

/** Sets is_active to true (Django admin's "active" checkbox); user:deactivate sets it to false. */
export default class UserActivate extends GatehouseCommand {
  static commandName = 'user:activate'
  static description = 'Activate a user: they can sign in and their tokens work again'
  static options: CommandOptions = { startApp: true }

  @args.string({ description: 'Username' })
  declare username: string

  /** The is_active value this command sets. */
  protected active = true

  async run() {
    const user = await this.userNamed(this.username)
    if (!user) return
    if (user.isActive === this.active) {
      this.logger.info(
        `User "${printable(user.username)}" is already ${this.active ? 'active' : 'inactive'}.`
      )
      return
    }
    await userService.setActive(user, this.active)
    await audit.record({
      event: this.active ? 'user.activated' : 'user.deactivated',
      actor: CLI_ACTOR,
      userId: user.id,
    })
    this.logger.success(
      `${this.active ? 'Activated' : 'Deactivated'} user "${printable(user.username)}".`
    )
  }
}
