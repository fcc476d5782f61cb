import { args, flags } from '@adonisjs/core/ace'
import type { CommandOptions } from '@adonisjs/core/types/ace'
import tokenMaintenance from '#services/token_maintenance_service'
import tokenService from '#services/token_service'
import audit, { aboutToken, CLI_ACTOR } from '#services/audit_service'
import { cliTokenMessages, tokenIdValidator } from '#validators/token'
import { printable } from '#services/terminal_text'
import { GatehouseCommand } from '#commands/_gatehouse_command'

/** Deletes one token by id, or every token of a user (DRF: Token.objects.filter(...).delete()). */
export default class TokenRevoke extends GatehouseCommand {
  static commandName = 'token:revoke'
  static description = 'Revoke a token by id, or all tokens of a user with --user=<username> --all'
  static help = [
    '  {{ binaryName }} token:revoke 42',
    "  {{ binaryName }} token:revoke 42 --user=alice   (only if token 42 is alice's)",
    '  {{ binaryName }} token:revoke --user=alice --all',
  ]
  static options: CommandOptions = { startApp: true }

  @args.string({ description: 'Id of the token (see token:list)', required: false })
  declare id?: string

  @flags.string({ description: 'Owner of the token(s)' })
  declare user?: string

  @flags.boolean({ description: 'Revoke every token of --user' })
  declare all: boolean

  async run() {
    if (this.id !== undefined && this.all) {
      return this.fail('Give a token id or --all, not both.')
    }
    if (this.id === undefined && !this.all) {
      return this.fail(
        this.user === undefined
          ? 'Give a token id, or --user=<username> --all.'
          : `Give a token id, or --all to revoke every token of "${this.user}".`
      )
    }
    if (this.all && this.user === undefined) {
      return this.fail('--all needs --user=<username>.')
    }

    let id: number | undefined
    if (this.id !== undefined) {
      const data = await this.validFlags(
        tokenIdValidator.tryValidate({ id: this.id }, { messagesProvider: cliTokenMessages })
      )
      if (!data) return
      id = data.id
    }

    const user = this.user === undefined ? null : await this.userNamed(this.user)
    if (this.user !== undefined && !user) return

    if (id === undefined) {
      const count = await tokenService.revokeAll(user!)
      await audit.record({
        event: 'token.revoked',
        actor: CLI_ACTOR,
        userId: user!.id,
        data: { all: true, count },
      })
      this.logger.success(`Revoked ${count} token(s) of user "${printable(user!.username)}".`)
      return
    }

    const token = await tokenMaintenance.findById(id)
    if (!token || (user && token.tokenableId !== user.id)) {
      return this.fail(
        user ? `User "${user.username}" has no token with id ${id}.` : `No token with id ${id}.`
      )
    }
    const revoked = user
      ? await tokenService.revoke(user, id)
      : await tokenMaintenance.revokeById(id)
    if (!revoked) return this.fail(`No token with id ${id}.`)
    await audit.record({
      event: 'token.revoked',
      actor: CLI_ACTOR,
      userId: token.tokenableId,
      ...aboutToken(token),
    })
    this.logger.success(
      `Revoked token ${id} ("${printable(token.name)}") of user "${printable(token.user.username)}".`
    )
  }
}
