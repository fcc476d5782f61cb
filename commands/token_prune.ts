import { flags } from '@adonisjs/core/ace'
import type { CommandOptions } from '@adonisjs/core/types/ace'
import { DateTime } from 'luxon'
import tokenMaintenance from '#services/token_maintenance_service'
import { durationSeconds } from '#services/duration'
import { cliTokenMessages, pruneTokensValidator } from '#validators/token'
import { GatehouseCommand } from '#commands/_gatehouse_command'
import { isoSeconds } from '#services/terminal_text'

/** Deletes long-expired tokens in batches; safe to run from cron on a large table. */
export default class TokenPrune extends GatehouseCommand {
  static commandName = 'token:prune'
  static description = 'Delete tokens that expired more than --expired-for ago (default 24h)'
  static help = [
    'Deletes in batches of 1000 rows; nothing is loaded into memory.',
    '  {{ binaryName }} token:prune --dry-run',
    '  {{ binaryName }} token:prune --expired-for=7d',
  ]
  static options: CommandOptions = { startApp: true }

  @flags.string({
    description: 'Keep tokens that expired less than this ago: 0, 24h, 7d…',
    default: '24h',
  })
  declare expiredFor: string

  @flags.boolean({ description: 'Only count what would be removed' })
  declare dryRun: boolean

  async run() {
    const input = await this.validFlags(
      pruneTokensValidator.tryValidate(
        { expiredFor: this.expiredFor },
        { messagesProvider: cliTokenMessages }
      )
    )
    if (!input) return

    const expiredBefore = DateTime.now().minus({ seconds: durationSeconds(input.expiredFor) })
    const cutoff = isoSeconds(expiredBefore)
    const total = await tokenMaintenance.countExpired(expiredBefore)

    if (this.dryRun) {
      this.logger.info(`Would remove ${total} token(s) that expired before ${cutoff}.`)
      return
    }
    if (total === 0) {
      this.logger.info(`No tokens expired before ${cutoff}.`)
      return
    }

    const removed = await this.withProgress(total, (onBatch) =>
      tokenMaintenance.prune({ expiredBefore, onBatch })
    )
    this.logger.success(`Removed ${removed} expired token(s).`)
  }
}
