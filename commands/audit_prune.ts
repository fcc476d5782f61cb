import { flags } from '@adonisjs/core/ace'
import type { CommandOptions } from '@adonisjs/core/types/ace'
import { DateTime } from 'luxon'
import gatehouse from '#config/gatehouse'
import audit from '#services/audit_service'
import { durationSeconds } from '#services/duration'
import { RETENTION_PATTERN } from '#validators/rules'
import { GatehouseCommand } from '#commands/_gatehouse_command'
import { isoSeconds } from '#services/terminal_text'

/** Deletes audit events past their retention in batches; safe to run from cron. */
export default class AuditPrune extends GatehouseCommand {
  static commandName = 'audit:prune'
  static description = 'Delete audit events older than --older-than (default AUDIT_RETENTION, 90d)'
  static help = [
    'Deletes in batches of 1000 rows, with a progress bar on a terminal.',
    '  {{ binaryName }} audit:prune --dry-run',
    '  {{ binaryName }} audit:prune --older-than=30d',
  ]
  static options: CommandOptions = { startApp: true }

  @flags.string({ description: 'Keep events younger than this: 90d, 12w, 24h…' })
  declare olderThan?: string

  @flags.boolean({ description: 'Only count what would be removed' })
  declare dryRun: boolean

  async run() {
    const retention = (this.olderThan ?? gatehouse.audit.retention).trim()
    if (!RETENTION_PATTERN.test(retention)) {
      return this.fail('--older-than must be a number and a unit (s, m, h, d, w), e.g. 90d.')
    }

    const olderThan = DateTime.now().minus({ seconds: durationSeconds(retention) })
    const cutoff = isoSeconds(olderThan)
    const total = await audit.countOlderThan(olderThan)

    if (this.dryRun) {
      this.logger.info(`Would remove ${total} event(s) recorded before ${cutoff}.`)
      return
    }
    if (total === 0) {
      this.logger.info(`No events recorded before ${cutoff}.`)
      return
    }

    const removed = await this.withProgress(total, (onBatch) => audit.prune({ olderThan, onBatch }))
    this.logger.success(`Removed ${removed} audit event(s) recorded before ${cutoff}.`)
  }
}
