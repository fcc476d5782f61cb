import { stat } from 'node:fs/promises'
import { randomUUID } from 'node:crypto'
import db from '@adonisjs/lucid/services/db'
import type { QueryClientContract } from '@adonisjs/lucid/types/database'
import { DrfImportError } from '#services/drf_import/summary'

export interface SourceUser {
  id: number
  username: string
  email: string
  password: string
  is_active: unknown
  is_staff: unknown
  is_superuser: unknown
  last_login: unknown
  date_joined: unknown
}

export interface SourceToken {
  key: string
  user_id: number
  created: unknown
}

/** Shows a PostgreSQL URL without its password. */
export function redactSource(source: string): string {
  if (!/^postgres(ql)?:\/\//i.test(source)) return source
  try {
    const url = new URL(source)
    if (url.password) url.password = '***'
    return url.toString()
  } catch {
    return 'postgres://…'
  }
}

/**
 * Reads a Django database (auth_user, authtoken_token) through a read-only
 * connection: never writes, and turns driver errors into one readable line.
 */
export class DrfReader {
  private constructor(
    /** The Lucid connection's name. */
    readonly connection: string,
    /** The source as it may be printed (no password). */
    readonly label: string
  ) {}

  static async open(source: string): Promise<DrfReader> {
    return new DrfReader(await DrfReader.connect(source), redactSource(source))
  }

  /** Registers a read-only Lucid connection to the source; returns its name. */
  static async connect(source: string): Promise<string> {
    const name = `drf_source_${randomUUID()}`
    if (/^postgres(ql)?:\/\//i.test(source)) {
      try {
        new URL(source)
      } catch {
        throw new DrfImportError(`Invalid PostgreSQL URL: ${redactSource(source)}`)
      }
      db.manager.add(name, {
        client: 'pg',
        connection: {
          connectionString: source,
          connectionTimeoutMillis: 5000,
        } as any,
        pool: {
          min: 0,
          max: 1,
          acquireTimeoutMillis: 10000,
          // The server itself refuses writes on this session; set after connecting, so
          // that no option of the URL (e.g. default_transaction_read_only=off) undoes it.
          afterCreate: (connection: any, done: (error: unknown, connection: unknown) => void) => {
            connection.query(
              'SET SESSION CHARACTERISTICS AS TRANSACTION READ ONLY',
              (error: unknown) => done(error, connection)
            )
          },
        },
      })
    } else {
      const file = source.replace(/^sqlite:(\/\/)?/i, '')
      const info = await stat(file).catch(() => null)
      if (!info?.isFile()) throw new DrfImportError(`Source not found: ${file} is not a file.`)
      db.manager.add(name, {
        client: 'better-sqlite3',
        connection: { filename: file, options: { readonly: true } } as any,
        useNullAsDefault: true,
      })
    }
    db.manager.connect(name)
    return name
  }

  private get source(): QueryClientContract {
    return db.connection(this.connection)
  }

  /** Fails with one clear line unless auth_user is there; says whether authtoken_token is. */
  async hasTokenTable(): Promise<boolean> {
    const [users, tokens] = await this.read(() =>
      Promise.all([
        this.source.schema.hasTable('auth_user'),
        this.source.schema.hasTable('authtoken_token'),
      ])
    )
    if (!users) {
      throw new DrfImportError(
        `${this.label} has no auth_user table: is it a Django database (with the default user model)?`
      )
    }
    return tokens
  }

  async countUsers(): Promise<number> {
    const counted = await this.read(() => this.source.from('auth_user').count('* as total').first())
    return Number(counted?.total ?? 0)
  }

  /** The next `limit` users after id `afterId`, by id. */
  usersAfter(afterId: number, limit: number): Promise<SourceUser[]> {
    return this.read(() =>
      this.source
        .from('auth_user')
        .where('id', '>', afterId)
        .orderBy('id', 'asc')
        .limit(limit)
        .select(
          'id',
          'username',
          'email',
          'password',
          'is_active',
          'is_staff',
          'is_superuser',
          'last_login',
          'date_joined'
        )
    )
  }

  tokensOf(users: SourceUser[]): Promise<SourceToken[]> {
    return this.read(() =>
      this.source
        .from('authtoken_token')
        .whereIn(
          'user_id',
          users.map((user) => user.id)
        )
        .select('key', 'user_id', 'created')
    )
  }

  close() {
    return db.manager.close(this.connection, true)
  }

  /** Runs a source query, turning driver errors into one readable line. */
  private async read<T>(query: () => PromiseLike<T>): Promise<T> {
    try {
      return await query()
    } catch (error) {
      if (error instanceof DrfImportError) throw error
      // knex prefixes driver errors with the SQL: keep the driver's own words
      const raw = ((error as Error).message ?? String(error)).split('\n')[0]
      const message = raw.includes(' - ') ? raw.slice(raw.lastIndexOf(' - ') + 3) : raw
      throw new DrfImportError(`Cannot read the source database ${this.label}: ${message}`)
    }
  }
}
