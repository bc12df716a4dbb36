// The 0010 migration: the recycle bin (when each recycled key is purged, which keys went with their
// user, the users in the bin) and the leases that keep a maintenance job to one node at a time.
import { sql, type Kysely, type Migration } from 'kysely';
import type { MigrationDialect } from './migration-dialect.js';

/** How long a key already in the recycle bin before this migration stays there (the bin's retention). */
const RETENTION_MS = 30 * 86_400_000;

export function recycleBinSchema(dialect: MigrationDialect): Migration {
  const keyText =
    dialect.bytewiseCollation === undefined
      ? sql`text`
      : sql`text collate ${sql.id(dialect.bytewiseCollation)}`;

  return {
    async up(db: Kysely<unknown>): Promise<void> {
      // purge_at: when a recycled key is purged for good (its DeleteDate); null in every other state.
      // recycled_with_user: 1 for a key that went to the bin because its user did (it comes back with
      // the user, and does not count toward the per-user limit of keys deleted one by one).
      await db.schema.alterTable('access_keys').addColumn('purge_at', 'bigint').execute();
      await db.schema
        .alterTable('access_keys')
        .addColumn('recycled_with_user', 'integer', (c) => c.notNull().defaultTo(0))
        .execute();
      // Nothing wrote the recycled state before this release; should a row hold it, it gets the
      // retention it would have had, counted from when it left the live state.
      await db
        .withTables<{ access_keys: { state: string; deleted_at: number | null; purge_at: number | null } }>()
        .updateTable('access_keys')
        .set((eb) => ({ purge_at: eb(eb.fn.coalesce('deleted_at', eb.lit(0)), '+', RETENTION_MS) }))
        .where('state', '=', 'recycled')
        .execute();
      // The purge job's range: recycled keys by due time.
      await db.schema
        .createIndex('access_keys_state_purge_at')
        .on('access_keys')
        .columns(['state', 'purge_at'])
        .execute();

      // Users in the recycle bin: the users row moves here, so that nothing that reads, counts, joins,
      // adds to or authorizes users ever sees a recycled one. Names are not unique here: a name is
      // held while its user's purge is not yet due (the store checks that); past it, a new user of
      // that name may be created and recycled before the purge job removed the old row.
      await db.schema
        .createTable('recycled_users')
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
        .addColumn('recycled_at', 'bigint', (c) => c.notNull())
        .addColumn('purge_at', 'bigint', (c) => c.notNull())
        .execute();
      await db.schema
        .createIndex('recycled_users_account_name_key')
        .on('recycled_users')
        .columns(['account_id', 'user_name_key'])
        .execute();
      await db.schema
        .createIndex('recycled_users_purge_at')
        .on('recycled_users')
        .columns(['purge_at'])
        .execute();

      // One row per maintenance job: the node holding it runs the job until expires_at.
      await db.schema
        .createTable('job_leases')
        .addColumn('job_name', 'text', (c) => c.primaryKey())
        .addColumn('holder', 'text', (c) => c.notNull())
        .addColumn('expires_at', 'bigint', (c) => c.notNull())
        .execute();
    },

    async down(db: Kysely<unknown>): Promise<void> {
      await db.schema.dropTable('job_leases').execute();
      await db.schema.dropTable('recycled_users').execute();
      // SQLite cannot drop an indexed column: the index goes first.
      await db.schema.dropIndex('access_keys_state_purge_at').execute();
      await db.schema.alterTable('access_keys').dropColumn('recycled_with_user').execute();
      await db.schema.alterTable('access_keys').dropColumn('purge_at').execute();
    },
  };
}
