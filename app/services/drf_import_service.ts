import db from '@adonisjs/lucid/services/db'
import gatehouse from '#config/gatehouse'
import AccessToken from '#models/access_token'
import { DjangoHasher, isWeakDjangoAlgorithm } from '#hashing/django_hasher'
import {
  DrfImportError,
  type DrfImportOptions,
  type DrfImportSummary,
  LEDGER,
  USER_LEDGER,
  newSummary,
} from '#services/drf_import/summary'
import { DrfReader, redactSource } from '#services/drf_import/reader'
import { type Claims, DrfPlanner } from '#services/drf_import/planner'
import { DrfWriter } from '#services/drf_import/writer'

export { DrfImportError }
export type { DrfImportOptions, DrfImportSummary }

const MAX_BATCH = 2000

/**
 * Imports a Django REST Framework database (auth_user, authtoken_token) into
 * Gatehouse, reading the source only. Users are matched by username, so a
 * re-run updates what changed and creates no duplicates. Password hashes are
 * kept as Django wrote them (the django hash driver verifies them); DRF keys
 * are stored hashed, with an encrypted copy for get-or-create. Batch by
 * batch: the reader reads Django, the planner decides, the writer applies.
 */
export class DrfImportService {
  constructor(
    private tokens = gatehouse.tokens,
    private hasher = new DjangoHasher(),
    private ceiling = gatehouse.passwords.djangoCeiling
  ) {}

  async run(source: string, options: DrfImportOptions = {}): Promise<DrfImportSummary> {
    const batchSize = options.batchSize ?? 500
    if (!Number.isInteger(batchSize) || batchSize < 1 || batchSize > MAX_BATCH) {
      throw new DrfImportError(`--batch-size must be a whole number from 1 to ${MAX_BATCH}.`)
    }
    const tokenName = (options.tokenName ?? this.tokens.defaultName).trim()
    if (tokenName === '' || tokenName.length > 255) {
      throw new DrfImportError('--token-name must be 1-255 characters.')
    }

    const summary = newSummary(redactSource(source), options.dryRun ?? false)

    const target = db.connection().schema
    const migrated =
      (await target.hasTable('users')) &&
      (await target.hasColumn(AccessToken.table, 'source')) &&
      (await target.hasTable(LEDGER)) &&
      (await target.hasTable(USER_LEDGER))
    if (!migrated) {
      throw new DrfImportError(
        "Gatehouse's database is not migrated: run `node ace migration:run` first."
      )
    }

    const reader = await DrfReader.open(source)
    const planner = new DrfPlanner(this.tokens, this.hasher, this.ceiling)
    const writer = new DrfWriter(this.tokens)
    try {
      const hasTokens = await reader.hasTokenTable()
      if (options.onlyUsers) summary.tokens.notImported = 'only-users'
      else if (!hasTokens) summary.tokens.notImported = 'no-authtoken-table'
      const withTokens = summary.tokens.notImported === null
      const total = await reader.countUsers()
      const claims: Claims = { emails: new Map(), names: new Map() }
      let afterId = 0
      let done = 0
      options.onProgress?.(0, total)

      while (true) {
        const users = await reader.usersAfter(afterId, batchSize)
        if (users.length === 0) break
        afterId = users[users.length - 1].id
        const tokens = withTokens ? await reader.tokensOf(users) : null

        const plan = await planner.plan(users, tokens, tokenName, summary, claims)
        if (!options.dryRun) await writer.apply(plan, tokenName)
        done += users.length
        options.onProgress?.(done, total)
      }
    } finally {
      await reader.close()
    }

    for (const algorithm of Object.keys(summary.passwordFormats).sort()) {
      if (isWeakDjangoAlgorithm(algorithm)) {
        summary.weakFormats.push(algorithm)
      }
      if (algorithm !== 'unusable' && !(await this.hasher.canVerify(algorithm))) {
        summary.unverifiableFormats.push(algorithm)
      }
    }
    return summary
  }

  /** Registers a read-only Lucid connection to the source; returns its name. */
  open(source: string): Promise<string> {
    return DrfReader.connect(source)
  }
}

export default new DrfImportService()
