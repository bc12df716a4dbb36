// The first migration: accounts, users, their policy attachments and AccessKeys.
import { sql, type Kysely, type Migration } from 'kysely';
import type { MigrationDialect } from './migration-dialect.js';

// Later issues add their own migrations next to this one (groups and group membership, custom
// policies and versions, audit events, network access policies, the recycle bin's purge times) rather
// than editing it: a released migration never changes.

/** Builds the migration for one engine; the SQL is the same on both except for the key collation. */
export function initialSchema(dialect: MigrationDialect): Migration {
  const keyText =
    dialect.bytewiseCollation === undefined
      ? sql`text`
      : sql`text collate ${sql.id(dialect.bytewiseCollation)}`;

  return {
    async up(db: Kysely<unknown>): Promise<void> {
      await db.schema
        .createTable('accounts')
        .addColumn('account_id', 'text', (c) => c.primaryKey())
        .addColumn('login_name', 'text', (c) => c.notNull())
        .addColumn('password_hash', 'text', (c) => c.notNull())
        .addColumn('created_at', 'bigint', (c) => c.notNull())
        .execute();

      // user_id is unique installation-wide (random 16 digits), so it alone is the key; names are
      // unique per account through user_name_key, which the store fills with the lower-cased name:
      // a portable stand-in for a unique index on lower(user_name).
      await db.schema
        .createTable('users')
        .addColumn('user_id', 'text', (c) => c.primaryKey())
        .addColumn('account_id', 'text', (c) => c.notNull().references('accounts.account_id'))
        .addColumn('user_name', 'text', (c) => c.notNull())
        .addColumn('user_name_key', keyText, (c) => c.notNull())
        .addColumn('display_name', 'text', (c) => c.notNull())
        .addColumn('email', 'text', (c) => c.notNull())
        .addColumn('mobile_phone', 'text', (c) => c.notNull())
        .addColumn('comments', 'text', (c) => c.notNull())
        .addColumn('created_at', 'bigint', (c) => c.notNull())
        .addColumn('updated_at', 'bigint', (c) => c.notNull())
        // Lets user_policies point at (account, user), so the database itself refuses an attachment
        // to another account's user.
        .addUniqueConstraint('users_account_user_unique', ['account_id', 'user_id'])
        .execute();
      await db.schema
        .createIndex('users_account_name_key')
        .on('users')
        .columns(['account_id', 'user_name_key'])
        .unique()
        .execute();

      await db.schema
        .createTable('user_policies')
        .addColumn('account_id', 'text', (c) => c.notNull())
        .addColumn('user_id', 'text', (c) => c.notNull())
        .addColumn('policy_type', 'text', (c) => c.notNull())
        .addColumn('policy_name', 'text', (c) => c.notNull())
        .addColumn('attached_at', 'bigint', (c) => c.notNull())
        .addPrimaryKeyConstraint('user_policies_pk', ['account_id', 'user_id', 'policy_type', 'policy_name'])
        .addForeignKeyConstraint('user_policies_user_fk', ['account_id', 'user_id'], 'users', [
          'account_id',
          'user_id',
        ])
        .execute();

      // Deleted keys stay as rows (deleted_at set) so that an AccessKey ID is never issued twice.
      // That is also why user_id has no foreign key: a user may be deleted once its keys are, and
      // the deleted keys' rows keep pointing at it.
      await db.schema
        .createTable('access_keys')
        .addColumn('access_key_id', 'text', (c) => c.primaryKey())
        .addColumn('account_id', 'text', (c) => c.notNull().references('accounts.account_id'))
        .addColumn('user_id', 'text')
        .addColumn('status', 'text', (c) => c.notNull())
        .addColumn('sealed_secret', 'text', (c) => c.notNull())
        .addColumn('created_at', 'bigint', (c) => c.notNull())
        .addColumn('updated_at', 'bigint', (c) => c.notNull())
        .addColumn('last_used_at', 'bigint')
        .addColumn('last_used_service', 'text')
        .addColumn('last_used_ip', 'text')
        .addColumn('deleted_at', 'bigint')
        .execute();
      await db.schema
        .createIndex('access_keys_account_user')
        .on('access_keys')
        .columns(['account_id', 'user_id'])
        .execute();
    },

    async down(db: Kysely<unknown>): Promise<void> {
      await db.schema.dropTable('access_keys').execute();
      await db.schema.dropTable('user_policies').execute();
      await db.schema.dropTable('users').execute();
      await db.schema.dropTable('accounts').execute();
    },
  };
}
