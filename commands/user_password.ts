import { args, flags } from '@adonisjs/core/ace'
import type { CommandOptions } from '@adonisjs/core/types/ace'
import audit, { CLI_ACTOR } from '#services/audit_service'
import userService, { UserInputError } from '#services/user_service'
import { printable } from '#services/terminal_text'
import { PasswordCommand } from '#commands/_gatehouse_command'

/** Django's changepassword: the password never travels as a flag or in the environment. */
export default class UserPassword extends PasswordCommand {
  static commandName = 'user:password'
  static description =
    "Set a user's password (hidden prompt on a terminal) and end their browser sessions"
  static help = [
    'Without a terminal, give the password on stdin:',
    '  printf %s "$PASSWORD" | {{ binaryName }} user:password alice --password-stdin',
    'A temporary password must be changed at the next sign-in (no API token until then):',
    '  {{ binaryName }} user:password alice --temporary --revoke-tokens',
  ]
  static options: CommandOptions = { startApp: true }

  @args.string({ description: 'Username' })
  declare username: string

  @flags.boolean({ description: 'Read the password from stdin (one trailing newline is dropped)' })
  declare passwordStdin: boolean

  @flags.boolean({ description: 'The user must change this password at the next sign-in' })
  declare temporary: boolean

  @flags.boolean({ description: 'Also revoke every API token of the user' })
  declare revokeTokens: boolean

  async run() {
    const user = await this.userNamed(this.username.trim())
    if (!user) return

    // --password-stdin, then a hidden prompt on a terminal.
    const password = await this.typedPassword({
      fromStdin: this.passwordStdin,
      label: 'New password',
      noInput: 'No password given: run in a terminal, or use --password-stdin.',
    })
    if (password === undefined) return

    try {
      const { sessionsEnded, tokensRevoked } = await userService.setPassword(user, password, {
        temporary: this.temporary,
        revokeTokens: this.revokeTokens,
      })
      await audit.record({
        event: 'user.password_changed',
        actor: CLI_ACTOR,
        userId: user.id,
        data: { temporary: this.temporary, sessionsEnded, tokensRevoked },
      })
      const what = this.temporary
        ? 'a temporary password (to change at next sign-in)'
        : 'a new password'
      const ended = `${sessionsEnded} browser ${sessionsEnded === 1 ? 'session' : 'sessions'} ended`
      const revoked = this.revokeTokens
        ? `, ${tokensRevoked} ${tokensRevoked === 1 ? 'token' : 'tokens'} revoked`
        : ''
      this.logger.success(`User "${printable(user.username)}" has ${what}; ${ended}${revoked}.`)
    } catch (error) {
      if (error instanceof UserInputError) return this.fail(error.message)
      throw error
    }
  }
}
