import { BaseCommand, flags } from '@adonisjs/core/ace'
import type { CommandOptions } from '@adonisjs/core/types/ace'
import { DateTime } from 'luxon'
import tokenMaintenance from '#services/token_maintenance_service'
import { durationSeconds } from '#services/duration'
import { cliTokenMessages, pruneTokensValidator } from '#validators/token'

const BAR_WIDTH = 30

/** Deletes long-expired tokens in batches; safe to run from cron on a large table. */
export default class TokenPrune extends BaseCommand {
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
    const [invalid, input] = await pruneTokensValidator.tryValidate(
      { expiredFor: this.expiredFor },
      { messagesProvider: cliTokenMessages }
    )
    if (invalid) {
      this.logger.error(invalid.messages[0].message)
      this.exitCode = 1
      return
    }

    const expiredBefore = DateTime.now().minus({ seconds: durationSeconds(input.expiredFor) })
    const cutoff = expiredBefore.toUTC().startOf('second').toISO({ suppressMilliseconds: true })
    const total = await tokenMaintenance.countExpired(expiredBefore)

    if (this.dryRun) {
      this.logger.info(`Would remove ${total} token(s) that expired before ${cutoff}.`)
      return
    }
    if (total === 0) {
      this.logger.info(`No tokens expired before ${cutoff}.`)
      return
    }

    const showProgress = process.stdout.isTTY === true
    const removed = await tokenMaintenance.prune({
      expiredBefore,
      onBatch: showProgress ? (done) => this.logger.logUpdate(this.bar(done, total)) : undefined,
    })
    if (showProgress) this.logger.logUpdatePersist()
    this.logger.success(`Removed ${removed} expired token(s).`)
  }

  private bar(done: number, total: number) {
    const ratio = Math.min(done / total, 1)
    const filled = Math.round(ratio * BAR_WIDTH)
    const bar = '█'.repeat(filled) + '░'.repeat(BAR_WIDTH - filled)
    return `${bar} ${Math.floor(ratio * 100)}% ${done}/${total}`
  }
}
