import { BaseSchema } from '@adonisjs/lucid/schema'

/*
| The database tells every process which users' cached tokens went stale
| (app/services/token_cache.ts), whoever changed the row: the app, a
| `node ace` command, another host, or an operator typing SQL.
|
| A token row counts as changed when it is deleted or updated, except an
| update of last_used_* alone (usage bookkeeping). A user counts as changed
| when deleted or updated, except a sign-in (last_login_at) that changes
| none of the columns authentication reads. Inserts change nothing cached.
|
| SQLite: the triggers append the user's id to auth_changes; a process
| reads it when PRAGMA data_version says another connection committed.
| PostgreSQL: the triggers pg_notify the user's id on gatehouse_auth_changes
| ('*' on TRUNCATE); each web process LISTENs.
*/

/** Token columns whose change can make a cached verification wrong. */
const TOKEN_COLUMNS = ['tokenable_id', 'type', 'name', 'hash', 'abilities', 'hint', 'expires_at']
/** User columns authentication (or the cached user) reads. */
const USER_COLUMNS = ['username', 'email', 'password', 'is_active', 'is_staff', 'is_superuser']

/** True for an update worth reporting: not bookkeeping alone (SQL for both dialects). */
function changed(bookkeeping: string, columns: string[], same: string, differs: string) {
  return [`OLD.${bookkeeping} ${same} NEW.${bookkeeping}`]
    .concat(columns.map((column) => `OLD.${column} ${differs} NEW.${column}`))
    .join(' OR ')
}

export default class extends BaseSchema {
  async up() {
    if (this.db.dialect.name === 'postgres') return this.postgres()
    this.schema.createTable('auth_changes', (table) => {
      table.increments('id')
      table.integer('user_id').notNullable()
    })
    const log = (id: string) => `INSERT INTO auth_changes (user_id) VALUES (${id});`
    const tokenChanged = changed('last_used_at', TOKEN_COLUMNS, 'IS', 'IS NOT')
    const userChanged = changed('last_login_at', USER_COLUMNS, 'IS', 'IS NOT')
    this.schema.raw(`CREATE TRIGGER auth_changes_keep_recent AFTER INSERT ON auth_changes
      BEGIN DELETE FROM auth_changes WHERE id <= NEW.id - 10000; END`)
    this.schema.raw(`CREATE TRIGGER auth_access_tokens_changed AFTER UPDATE ON auth_access_tokens
      WHEN ${tokenChanged}
      BEGIN ${log('OLD.tokenable_id')}
        INSERT INTO auth_changes (user_id) SELECT NEW.tokenable_id WHERE NEW.tokenable_id <> OLD.tokenable_id;
      END`)
    this.schema.raw(`CREATE TRIGGER auth_access_tokens_deleted AFTER DELETE ON auth_access_tokens
      BEGIN ${log('OLD.tokenable_id')} END`)
    this.schema.raw(`CREATE TRIGGER users_changed AFTER UPDATE ON users
      WHEN ${userChanged} BEGIN ${log('OLD.id')} END`)
    this.schema.raw(`CREATE TRIGGER users_deleted AFTER DELETE ON users BEGIN ${log('OLD.id')} END`)
  }

  private postgres() {
    const tokenChanged = changed(
      'last_used_at',
      TOKEN_COLUMNS,
      'IS NOT DISTINCT FROM',
      'IS DISTINCT FROM'
    )
    const userChanged = changed(
      'last_login_at',
      USER_COLUMNS,
      'IS NOT DISTINCT FROM',
      'IS DISTINCT FROM'
    )
    this.schema.raw(`CREATE FUNCTION gatehouse_auth_changed() RETURNS trigger AS $$
      BEGIN
        IF TG_OP = 'TRUNCATE' THEN
          PERFORM pg_notify('gatehouse_auth_changes', '*');
        ELSIF TG_TABLE_NAME = 'users' THEN
          PERFORM pg_notify('gatehouse_auth_changes', OLD.id::text);
        ELSE
          PERFORM pg_notify('gatehouse_auth_changes', OLD.tokenable_id::text);
          IF TG_OP = 'UPDATE' AND NEW.tokenable_id <> OLD.tokenable_id THEN
            PERFORM pg_notify('gatehouse_auth_changes', NEW.tokenable_id::text);
          END IF;
        END IF;
        RETURN NULL;
      END $$ LANGUAGE plpgsql`)
    const run = 'EXECUTE FUNCTION gatehouse_auth_changed()'
    this.schema.raw(`CREATE TRIGGER auth_access_tokens_changed AFTER UPDATE ON auth_access_tokens
      FOR EACH ROW WHEN (${tokenChanged}) ${run}`)
    this.schema.raw(`CREATE TRIGGER auth_access_tokens_deleted AFTER DELETE ON auth_access_tokens
      FOR EACH ROW ${run}`)
    this.schema
      .raw(`CREATE TRIGGER auth_access_tokens_truncated AFTER TRUNCATE ON auth_access_tokens
      FOR EACH STATEMENT ${run}`)
    this.schema.raw(`CREATE TRIGGER users_changed AFTER UPDATE ON users
      FOR EACH ROW WHEN (${userChanged}) ${run}`)
    this.schema.raw(`CREATE TRIGGER users_deleted AFTER DELETE ON users FOR EACH ROW ${run}`)
    this.schema.raw(
      `CREATE TRIGGER users_truncated AFTER TRUNCATE ON users FOR EACH STATEMENT ${run}`
    )
  }

  async down() {
    if (this.db.dialect.name === 'postgres') {
      for (const [table, triggers] of [
        ['auth_access_tokens', ['changed', 'deleted', 'truncated']],
        ['users', ['changed', 'deleted', 'truncated']],
      ] as const) {
        for (const name of triggers)
          this.schema.raw(`DROP TRIGGER IF EXISTS ${table}_${name} ON ${table}`)
      }
      this.schema.raw('DROP FUNCTION gatehouse_auth_changed()')
      return
    }
    for (const name of [
      'auth_access_tokens_changed',
      'auth_access_tokens_deleted',
      'users_changed',
      'users_deleted',
    ]) {
      // IF EXISTS: rebuilding a table (a later migration's dropColumn on SQLite) drops its triggers.
      this.schema.raw(`DROP TRIGGER IF EXISTS ${name}`)
    }
    this.schema.dropTable('auth_changes')
  }
}
