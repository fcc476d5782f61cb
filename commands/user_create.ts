import { args, flags } from '@adonisjs/core/ace'
import type { CommandOptions } from '@adonisjs/core/types/ace'
import gatehouse from '#config/gatehouse'
import userService, { UserInputError } from '#services/user_service'
import audit, { CLI_ACTOR } from '#services/audit_service'
import { cliCreateUserValidator, cliUserMessages } from '#validators/user'
import { printable } from '#services/terminal_text'
import { PasswordCommand } from '#commands/_gatehouse_command'

/** Django's createsuperuser / createuser: the password never travels as a flag. */
export default class UserCreate extends PasswordCommand {
  static commandName = 'user:create'
  static description = 'Create a user. The password is asked with a hidden prompt on a terminal'
  static help = [
    'Without a terminal, give the password on stdin or in the environment:',
    '  printf %s "$PASSWORD" | {{ binaryName }} user:create alice --password-stdin',
    '  GATEHOUSE_USER_PASSWORD="$PASSWORD" {{ binaryName }} user:create alice',
  ]
  static options: CommandOptions = { startApp: true }

  @args.string({ description: 'Username (letters, digits and @ . + - _)' })
  declare username: string

  @flags.string({ description: 'Email address' })
  declare email?: string

  @flags.boolean({ description: 'Create the user inactive (cannot sign in or use tokens)' })
  declare inactive: boolean

  @flags.boolean({ description: 'Mark the user as staff' })
  declare staff: boolean

  @flags.boolean({ description: 'Make the user a superuser (implies --staff)' })
  declare superuser: boolean

  @flags.boolean({ description: 'Read the password from stdin (one trailing newline is dropped)' })
  declare passwordStdin: boolean

  async run() {
    const input = await this.validFlags(
      cliCreateUserValidator.tryValidate(
        { email: this.email },
        { messagesProvider: cliUserMessages }
      )
    )
    if (!input) return

    // Checked before asking for a password; UserService checks again.
    if (await userService.findByUsername(this.username.trim())) {
      return this.fail(`A user named "${printable(this.username.trim())}" already exists.`)
    }

    // --password-stdin, then GATEHOUSE_USER_PASSWORD, then a hidden prompt on a terminal.
    const password = await this.typedPassword({
      fromStdin: this.passwordStdin,
      fallback: () => gatehouse.commands.userPassword?.release(),
      label: 'Password',
      noInput:
        'No password given: run in a terminal, or use --password-stdin or GATEHOUSE_USER_PASSWORD.',
    })
    if (password === undefined) return

    try {
      const user = await userService.create({
        username: this.username,
        email: input.email,
        password,
        isActive: !this.inactive,
        isStaff: this.staff || this.superuser,
        isSuperuser: this.superuser,
      })
      await audit.record({
        event: 'user.created',
        actor: CLI_ACTOR,
        userId: user.id,
        data: {
          username: user.username,
          isStaff: user.isStaff,
          isSuperuser: user.isSuperuser,
          isActive: user.isActive,
        },
      })
      const kind = user.isSuperuser ? 'superuser' : 'user'
      const state = user.isActive ? '' : ' (inactive)'
      this.logger.success(
        `Created ${kind} "${printable(user.username)}" with id ${user.id}${state}.`
      )
    } catch (error) {
      if (error instanceof UserInputError) return this.fail(error.message)
      throw error
    }
  }
}
