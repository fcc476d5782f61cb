import { args, flags } from '@adonisjs/core/ace'
import type { CommandOptions } from '@adonisjs/core/types/ace'
import tokenMaintenance from '#services/token_maintenance_service'
import { whereLastUsed } from '#transformers/audit_event_transformer'
import { isoSeconds, printable, printableJson } from '#services/terminal_text'
import { GatehouseCommand } from '#commands/_gatehouse_command'

/** Tokens of one user or of everyone. Shows the key's hint, never the key or its hash. */
export default class TokenList extends GatehouseCommand {
  static commandName = 'token:list'
  static description = 'List access tokens (all users, or one)'
  static options: CommandOptions = { startApp: true }

  @args.string({ description: "Only this user's tokens", required: false })
  declare username?: string

  @flags.boolean({ description: 'Print JSON instead of a table' })
  declare json: boolean

  async run() {
    let user
    if (this.username !== undefined) {
      user = await this.userNamed(this.username)
      if (!user) return
    }

    const found = await tokenMaintenance.list(user ?? undefined)
    const tokens = found.map((token) => ({
      id: token.id,
      user: token.user.username,
      name: token.name,
      hint: token.hint,
      abilities: token.abilities,
      getOrCreate: token.isRetrievable,
      createdAt: isoSeconds(token.createdAt),
      lastUsedAt: isoSeconds(token.lastUsedAt),
      lastUsedIp: whereLastUsed(token).ip,
      lastUsedAgent: whereLastUsed(token).agent,
      expiresAt: isoSeconds(token.expiresAt),
      status: token.status,
    }))

    if (this.json) {
      this.logger.log(printableJson(tokens))
      return
    }
    if (tokens.length === 0) {
      this.logger.info(user ? `User "${printable(user.username)}" has no tokens.` : 'No tokens.')
      return
    }

    const table = this.ui.table()
    table.head([
      'ID',
      'User',
      'Name',
      'Hint',
      'Abilities',
      'Created',
      'Last used',
      'Where',
      'Expires',
      'Status',
    ])
    for (const token of tokens) {
      table.row([
        String(token.id),
        printable(token.user),
        token.name ? printable(token.name) : '-',
        token.hint ? `${printable(token.hint)}…` : '-',
        printable(token.abilities.join(',')),
        token.createdAt ?? '-',
        token.lastUsedAt ?? 'never',
        printable([token.lastUsedIp, token.lastUsedAgent].filter(Boolean).join(' ') || '-'),
        token.expiresAt ?? 'never',
        token.status,
      ])
    }
    table.render()
  }
}
