// The 0019 migration: console sign-in. Sessions (only a hash of each session's token is kept), the
// failed sign-ins that lock a login name, when each login profile's password last changed (for
// MaxPasswordAge), and an audit event's type (API call, console operation, sign-in, sign-out).
import { sql, type Kysely, type Migration } from 'kysely';

export function consoleSessionsSchema(): Migration {
  return {
    async up(db: Kysely<unknown>): Promise<void> {
      // user_id '' for the account's root identity.
      await db.schema
        .createTable('console_sessions')
        .addColumn('token_hash', 'text', (c) => c.primaryKey())
        .addColumn('session_id', 'text', (c) => c.notNull().unique())
        .addColumn('account_id', 'text', (c) => c.notNull().references('accounts.account_id'))
        .addColumn('user_id', 'text', (c) => c.notNull())
        .addColumn('mfa_present', 'integer', (c) => c.notNull())
        .addColumn('created_at', 'bigint', (c) => c.notNull())
        .addColumn('last_seen_at', 'bigint', (c) => c.notNull())
        .addColumn('password_verified_at', 'bigint', (c) => c.notNull())
        .execute();
      await db.schema
        .createIndex('console_sessions_by_principal')
        .on('console_sessions')
        .columns(['account_id', 'user_id'])
        .execute();
      await db.schema
        .createIndex('console_sessions_by_age')
        .on('console_sessions')
        .column('last_seen_at')
        .execute();
      // Keyed by the login name in lower case; rows exist only for names of real principals.
      await db.schema
        .createTable('console_signin_failures')
        .addColumn('login_key', 'text', (c) => c.primaryKey())
        .addColumn('account_id', 'text', (c) => c.notNull().references('accounts.account_id'))
        .addColumn('failures', 'integer', (c) => c.notNull())
        .addColumn('first_failed_at', 'bigint', (c) => c.notNull())
        .addColumn('locked_until', 'bigint', (c) => c.notNull())
        .execute();
      await db.schema
        .alterTable('login_profiles')
        .addColumn('password_changed_at', 'bigint', (c) => c.notNull().defaultTo(0))
        .execute();
      await sql`update login_profiles set password_changed_at = updated_at`.execute(db);
      // '' for an API call (ActionTrail's ApiCall); else ConsoleOperation, ConsoleSignin or ConsoleSignout.
      await db.schema
        .alterTable('audit_events')
        .addColumn('event_type', 'text', (c) => c.notNull().defaultTo(''))
        .execute();
    },

    async down(db: Kysely<unknown>): Promise<void> {
      await db.schema.alterTable('audit_events').dropColumn('event_type').execute();
      await db.schema.alterTable('login_profiles').dropColumn('password_changed_at').execute();
      await db.schema.dropTable('console_signin_failures').execute();
      await db.schema.dropTable('console_sessions').execute();
    },
  };
}
