// The 0017 migration: RAM login profiles (a user's console password, hashed) and each account's
// password policy.
import type { Kysely, Migration } from 'kysely';

export function loginProfilesSchema(): Migration {
  return {
    async up(db: Kysely<unknown>): Promise<void> {
      // One profile per user, keyed by the user's ID: it stays while its user is in the recycle bin
      // (and comes back with it) and goes when the user is purged. previous_hashes: a JSON array of
      // the hashes it replaced, newest first, for PasswordReusePrevention.
      await db.schema
        .createTable('login_profiles')
        .addColumn('user_id', 'text', (c) => c.primaryKey())
        .addColumn('account_id', 'text', (c) => c.notNull().references('accounts.account_id'))
        .addColumn('password_hash', 'text', (c) => c.notNull())
        .addColumn('previous_hashes', 'text', (c) => c.notNull())
        .addColumn('password_reset_required', 'integer', (c) => c.notNull())
        .addColumn('mfa_bind_required', 'integer', (c) => c.notNull())
        .addColumn('created_at', 'bigint', (c) => c.notNull())
        .addColumn('updated_at', 'bigint', (c) => c.notNull())
        .execute();
      // An account without a row has the default policy.
      await db.schema
        .createTable('password_policies')
        .addColumn('account_id', 'text', (c) => c.primaryKey().references('accounts.account_id'))
        .addColumn('minimum_password_length', 'integer', (c) => c.notNull())
        .addColumn('require_lowercase_characters', 'integer', (c) => c.notNull())
        .addColumn('require_uppercase_characters', 'integer', (c) => c.notNull())
        .addColumn('require_numbers', 'integer', (c) => c.notNull())
        .addColumn('require_symbols', 'integer', (c) => c.notNull())
        .addColumn('hard_expiry', 'integer', (c) => c.notNull())
        .addColumn('max_login_attempts', 'integer', (c) => c.notNull())
        .addColumn('password_reuse_prevention', 'integer', (c) => c.notNull())
        .addColumn('max_password_age', 'integer', (c) => c.notNull())
        .execute();
    },

    async down(db: Kysely<unknown>): Promise<void> {
      await db.schema.dropTable('password_policies').execute();
      await db.schema.dropTable('login_profiles').execute();
    },
  };
}
