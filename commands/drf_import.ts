import { args, flags } from '@adonisjs/core/ace'
import type { CommandOptions } from '@adonisjs/core/types/ace'
import type { DrfImportSummary } from '#services/drf_import_service'
import audit from '#services/audit_service'
import { printable } from '#services/terminal_text'
import { GatehouseCommand } from '#commands/_gatehouse_command'

/** Example usernames come from the source: escaped for the terminal. */
const names = (examples: string[]) => examples.map((example) => printable(example)).join(', ')

/** node ace drf:import <source>: users and tokens from a Django REST Framework database. */
export default class DrfImport extends GatehouseCommand {
  static commandName = 'drf:import'
  static description =
    'Import users (with their passwords) and tokens from a Django REST Framework database'
  static help = [
    'The source is a SQLite file path or a postgres:// URL; it is only read.',
    '{{ binaryName }} drf:import ../django/db.sqlite3 --dry-run',
    '{{ binaryName }} drf:import postgres://user@localhost/django',
  ]
  static options: CommandOptions = { startApp: true }

  @args.string({ description: 'SQLite file path or postgres:// URL of the Django database' })
  declare source: string

  @flags.boolean({ description: 'Report what would change, write nothing' })
  declare dryRun: boolean

  @flags.boolean({ description: 'Import users only, not their tokens' })
  declare onlyUsers: boolean

  @flags.number({ description: 'Users read and written per batch (1-2000)', default: 500 })
  declare batchSize: number

  @flags.string({ description: 'Name of imported tokens (default: the get-or-create name)' })
  declare tokenName?: string

  async run() {
    const { default: drfImportService, DrfImportError } =
      await import('#services/drf_import_service')
    const progress = process.stdout.isTTY ? this.progressBar() : undefined

    let summary: DrfImportSummary
    try {
      summary = await drfImportService.run(this.source, {
        dryRun: this.dryRun,
        onlyUsers: this.onlyUsers,
        batchSize: this.batchSize,
        tokenName: this.tokenName,
        onProgress: progress,
      })
    } catch (error) {
      if (progress) process.stdout.write('\n')
      if (!(error instanceof DrfImportError)) throw error
      return this.fail(error.message)
    }
    if (progress) process.stdout.write('\n')
    if (!summary.dryRun)
      await audit.record({
        event: 'import.run',
        actor: { type: 'import' },
        data: this.auditData(summary),
      })
    this.report(summary)
  }

  /** Counts only: the source is already redacted, and no username or key goes in. */
  private auditData({ source, users, tokens }: DrfImportSummary) {
    const { imported, updated, unchanged, skipped } = users
    return {
      source,
      users: { imported, updated, unchanged, skipped },
      tokens: {
        imported: tokens.imported,
        updated: tokens.updated,
        revoked: tokens.revoked,
        skipped: tokens.skipped,
      },
    }
  }

  private progressBar() {
    const width = 30
    return (done: number, total: number) => {
      const ratio = total === 0 ? 1 : done / total
      const filled = Math.round(ratio * width)
      const bar = '#'.repeat(filled) + '-'.repeat(width - filled)
      process.stdout.write(`\r[${bar}] ${Math.round(ratio * 100)}% ${done}/${total} users`)
    }
  }

  private report(summary: DrfImportSummary) {
    const { users, tokens } = summary
    const prefix = summary.dryRun ? 'Dry run, nothing written. Would import' : 'Imported'
    this.logger.success(`${prefix} from ${printable(summary.source)}`)
    this.logger.info(
      `Users: ${users.imported} imported, ${users.updated} updated, ${users.unchanged} unchanged, ${users.skipped} skipped (of ${users.seen})`
    )
    for (const [reason, { count, examples }] of Object.entries(users.skippedReasons)) {
      this.logger.warning(`  ${count} user(s) skipped: ${reason} (${names(examples)})`)
    }
    if (tokens.notImported === 'only-users') {
      this.logger.info('Tokens: not imported (--only-users)')
    } else if (tokens.notImported === 'no-authtoken-table') {
      this.logger.warning('Tokens: none, the source has no authtoken_token table')
    } else {
      this.logger.info(
        `Tokens: ${tokens.imported} imported, ${tokens.updated} updated, ${tokens.unchanged} unchanged, ${tokens.revoked} revoked (gone from the source), ${tokens.skipped} skipped (of ${tokens.seen})`
      )
      for (const [reason, { count, examples }] of Object.entries(tokens.skippedReasons)) {
        this.logger.warning(`  ${count} token(s) skipped: ${reason} (${names(examples)})`)
      }
      if (tokens.withoutGetOrCreate > 0) {
        this.logger.warning(
          `  ${tokens.withoutGetOrCreate} token(s) work but are not returned by get-or-create: the user already had one`
        )
      }
    }

    for (const [reason, { count, examples }] of Object.entries(summary.leftAlone)) {
      this.logger.info(`${count} left alone, ${reason} (${names(examples)})`)
    }

    const table = this.ui.table().head(['Password format', 'Users', 'Note'])
    for (const [algorithm, count] of Object.entries(summary.passwordFormats).sort()) {
      table.row([algorithm, String(count), this.note(summary, algorithm)])
    }
    table.render()
    if (summary.weakFormats.length > 0) {
      this.logger.warning(
        `Weak password formats imported: ${summary.weakFormats.join(', ')}. They verify and are re-hashed at the next sign-in; consider asking those users to change their password.`
      )
    }
    if (summary.mustResetPassword.count > 0) {
      const { count, examples } = summary.mustResetPassword
      this.logger.warning(
        `${count} user(s) must have a new password set: their Django hash costs more than the ceiling (passwords.djangoCeiling in config/gatehouse.ts), so it was not imported and they cannot sign in with a password (${names(examples)})`
      )
    }
    if (summary.unverifiableFormats.length > 0) {
      this.logger.warning(
        `Password formats this installation cannot verify: ${summary.unverifiableFormats.join(', ')}. Those users cannot sign in with a password (their tokens work) until it is supported; see "Coming from Django REST Framework" in the README.`
      )
    }
  }

  private note(summary: DrfImportSummary, algorithm: string) {
    if (algorithm === 'unusable') return 'unusable: sign-in refused'
    if (summary.unverifiableFormats.includes(algorithm)) return 'cannot verify here'
    if (summary.weakFormats.includes(algorithm)) return 'weak: re-hashed at next sign-in'
    return 're-hashed at next sign-in'
  }
}
