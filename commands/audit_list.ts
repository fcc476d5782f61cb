import { flags } from '@adonisjs/core/ace'
import type { CommandOptions } from '@adonisjs/core/types/ace'
import { DateTime } from 'luxon'
import audit from '#services/audit_service'
import { durationSeconds } from '#services/duration'
import { DURATION_PATTERN } from '#validators/rules'
import { isoSeconds, printable, printableJson } from '#services/terminal_text'
import { GatehouseCommand } from '#commands/_gatehouse_command'

/** The audit trail for operators, newest first. Never a key or a password: none is stored. */
export default class AuditList extends GatehouseCommand {
  static commandName = 'audit:list'
  static description = 'List audit events (newest first), for everyone or one user'
  static help = [
    '  {{ binaryName }} audit:list --user=alice --since=7d',
    '  {{ binaryName }} audit:list --since=2026-11-01 --json',
  ]
  static options: CommandOptions = { startApp: true }

  @flags.string({ description: "Only this user's events (username)" })
  declare user?: string

  @flags.string({ description: 'Only events since: a duration (24h, 7d) or a date (2026-11-01)' })
  declare since?: string

  @flags.number({ description: 'Most events printed (1-10000)', default: 100 })
  declare limit: number

  @flags.boolean({ description: 'Print JSON instead of a table' })
  declare json: boolean

  async run() {
    const since = this.parseSince()
    if (since === null)
      return this.fail('--since must be a duration such as 7d or a date such as 2026-11-01.')
    if (!Number.isInteger(this.limit) || this.limit < 1 || this.limit > 10_000) {
      return this.fail('--limit must be a whole number from 1 to 10000.')
    }

    let userId: number | undefined
    if (this.user !== undefined) {
      const user = await this.userNamed(this.user)
      if (!user) return
      userId = user.id
    }

    const found = await audit.list({ userId, since, limit: this.limit })
    const events = found.map((event) => ({
      id: event.id,
      createdAt: isoSeconds(event.createdAt),
      event: event.event,
      actor: { type: event.actorType, id: event.actorId },
      userId: event.userId,
      tokenId: event.tokenId,
      ip: event.ip,
      userAgent: event.userAgent,
      data: event.data,
    }))

    if (this.json) {
      this.logger.log(printableJson(events))
      return
    }
    if (events.length === 0) {
      this.logger.info('No events.')
      return
    }
    const table = this.ui.table()
    table.head(['ID', 'Time (UTC)', 'Event', 'Actor', 'User', 'Token', 'IP', 'Details'])
    for (const event of events) {
      table.row([
        String(event.id),
        event.createdAt ?? '-',
        event.event,
        event.actor.id ? `${event.actor.type}:${event.actor.id}` : event.actor.type,
        event.userId === null ? '-' : String(event.userId),
        event.tokenId === null ? '-' : String(event.tokenId),
        printable(event.ip ?? '-'),
        // Details hold what callers typed (e.g. a failed sign-in's username).
        Object.keys(event.data).length > 0 ? printable(JSON.stringify(event.data)) : '',
      ])
    }
    table.render()
  }

  /** undefined: no filter; null: unreadable. */
  private parseSince(): DateTime | undefined | null {
    if (this.since === undefined) return undefined
    const value = this.since.trim()
    if (DURATION_PATTERN.test(value))
      return DateTime.now().minus({ seconds: durationSeconds(value) })
    const date = DateTime.fromISO(value, { zone: 'utc' })
    return date.isValid ? date : null
  }
}
