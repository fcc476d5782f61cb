import { BaseCommand, flags } from '@adonisjs/core/ace'
import type { CommandOptions } from '@adonisjs/core/types/ace'
import userService from '#services/user_service'
import { isoSeconds, printable, printableJson } from '#services/terminal_text'

/** Every user, as a table or as JSON for scripts. Never a password hash. */
export default class UserList extends BaseCommand {
  static commandName = 'user:list'
  static description = 'List users'
  static options: CommandOptions = { startApp: true }

  @flags.boolean({ description: 'Print JSON instead of a table' })
  declare json: boolean

  async run() {
    const found = await userService.list()
    const users = found.map((user) => ({
      id: user.id,
      username: user.username,
      email: user.email,
      isActive: user.isActive,
      isStaff: user.isStaff,
      isSuperuser: user.isSuperuser,
      lastLoginAt: isoSeconds(user.lastLoginAt),
      createdAt: isoSeconds(user.createdAt),
    }))

    if (this.json) {
      this.logger.log(printableJson(users))
      return
    }
    if (users.length === 0) {
      this.logger.info('No users yet: create one with "node ace user:create <username>".')
      return
    }

    const yesNo = (value: boolean) => (value ? 'yes' : 'no')
    const table = this.ui.table()
    table.head(['ID', 'Username', 'Email', 'Active', 'Staff', 'Superuser', 'Last login', 'Created'])
    for (const user of users) {
      table.row([
        String(user.id),
        printable(user.username),
        user.email ? printable(user.email) : '-',
        yesNo(user.isActive),
        yesNo(user.isStaff),
        yesNo(user.isSuperuser),
        user.lastLoginAt ?? '-',
        user.createdAt ?? '-',
      ])
    }
    table.render()
  }
}
