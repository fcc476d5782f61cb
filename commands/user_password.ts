import { BaseCommand, args, flags } from '@adonisjs/core/ace'
import type { CommandOptions } from '@adonisjs/core/types/ace'
import audit, { CLI_ACTOR } from '#services/audit_service'
import userService, { UserInputError } from '#services/user_service'
import { printable } from '#services/terminal_text'

/** Largest stdin accepted for --password-stdin (passwords are capped far below). */
const MAX_STDIN_BYTES = 64 * 1024

/** Django's changepassword: the password never travels as a flag or in the environment. */
export default class UserPassword extends BaseCommand {
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

  /** Where the password comes from without a prompt; replaceable in tests. */
  stdin: NodeJS.ReadableStream & { isTTY?: boolean } = process.stdin

  async run() {
    const user = await userService.findByUsername(this.username.trim())
    if (!user) return this.fail(`No user named "${this.username.trim()}".`)

    const password = await this.readPassword()
    if (password === null) return

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

  /** --password-stdin, else a hidden prompt asked twice on a terminal. */
  private async readPassword(): Promise<string | null> {
    if (this.passwordStdin) {
      const value = await this.readStdin()
      if (value === null) {
        this.fail(`The password on stdin is longer than ${MAX_STDIN_BYTES} bytes.`)
        return null
      }
      const password = value.replace(/\r?\n$/, '')
      if (password === '') {
        this.fail('--password-stdin was given but stdin was empty.')
        return null
      }
      return password
    }

    if (!this.stdin.isTTY) {
      this.fail('No password given: run in a terminal, or use --password-stdin.')
      return null
    }

    const password = await this.prompt.secure('New password', {
      validate: (value) => value.length > 0 || 'The password must not be empty',
    })
    const again = await this.prompt.secure('New password (again)')
    if (password !== again) {
      this.fail('The passwords do not match.')
      return null
    }
    return password
  }

  private async readStdin(): Promise<string | null> {
    const chunks: Buffer[] = []
    let size = 0
    for await (const chunk of this.stdin) {
      const buffer = Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk)
      size += buffer.length
      if (size > MAX_STDIN_BYTES) return null
      chunks.push(buffer)
    }
    return Buffer.concat(chunks).toString('utf8')
  }

  private fail(message: string) {
    this.logger.error(printable(message))
    this.exitCode = 1
  }
}
