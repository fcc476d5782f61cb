import { args, flags } from '@adonisjs/core/ace'
import type { CommandOptions } from '@adonisjs/core/types/ace'
import gatehouse from '#config/gatehouse'
import tokenService from '#services/token_service'
import audit, { aboutToken, CLI_ACTOR } from '#services/audit_service'
import { cliTokenMessages, createTokenValidator } from '#validators/token'
import { TokenLimitException } from '#exceptions/token_limit_exception'
import { GatehouseCommand } from '#commands/_gatehouse_command'

/**
 * DRF's `manage.py drf_create_token <username> [-r]`: get-or-create, so the
 * same key comes back until the token is revoked, expires or is regenerated.
 */
export default class TokenCreate extends GatehouseCommand {
  static commandName = 'token:create'
  static description = 'Get or create the named token of a user and print its key (-r: a new key)'
  static help = [
    'Run twice, it prints the same key. With -r the old token is revoked first.',
    '  {{ binaryName }} token:create alice',
    '  {{ binaryName }} token:create ci-bot --name=deploy --expires-in=7d',
    '  KEY=$({{ binaryName }} token:create ci-bot --quiet)',
  ]
  static options: CommandOptions = { startApp: true }

  @args.string({ description: 'Username of the token owner' })
  declare username: string

  @flags.string({
    description: 'Token name: one get-or-create token per user and name',
    default: gatehouse.tokens.defaultName,
  })
  declare name: string

  @flags.string({
    description: 'Comma-separated abilities, e.g. tokens:read,tokens:write (default *)',
  })
  declare abilities?: string

  @flags.string({
    description: 'Lifetime of a new token: 30d, 12h, 2w or never (default TOKEN_EXPIRES_IN)',
  })
  declare expiresIn?: string

  @flags.boolean({
    alias: 'r',
    description: 'Revoke the existing token of that name, print a new key',
  })
  declare regenerate: boolean

  @flags.boolean({ description: 'Print the key alone (for scripts)' })
  declare quiet: boolean

  async run() {
    const options = await this.validFlags(
      createTokenValidator.tryValidate(
        {
          name: this.name,
          abilities: this.abilities?.split(',').map((ability) => ability.trim()),
          expiresIn: this.expiresIn,
        },
        { messagesProvider: cliTokenMessages }
      )
    )
    if (!options) return

    const user = await this.userNamed(this.username)
    if (!user) return

    let issued
    try {
      issued = this.regenerate
        ? await tokenService.regenerate(user, options)
        : await tokenService.getOrCreate(user, options)
    } catch (error) {
      if (!(error instanceof TokenLimitException)) throw error
      return this.fail(
        `User "${user.username}" already has ${error.max} live tokens, the most one user may hold: revoke one (node ace token:revoke) or let some expire.`
      )
    }

    await audit.record({
      event: 'token.obtained',
      actor: CLI_ACTOR,
      userId: user.id,
      ...aboutToken(issued.token, {
        created: issued.created,
        regenerated: this.regenerate || undefined,
      }),
    })
    if (!issued.created && (options.abilities || options.expiresIn)) {
      this.warn(
        `Kept the existing "${issued.token.name}" token: its abilities and expiry are unchanged (use -r to replace it).`
      )
    }
    if (!user.isActive) {
      this.warn(`User "${user.username}" is inactive: the token is refused until user:activate.`)
    }

    // DRF's drf_create_token prints exactly this line.
    this.logger.log(
      this.quiet ? issued.value : `Generated token ${issued.value} for user ${user.username}`
    )
  }

  /** Warnings go to stderr, so `$(token:create --quiet)` captures the key alone. */
  private warn(message: string) {
    this.logger.logError(this.logger.prepareWarning(message))
  }
}
