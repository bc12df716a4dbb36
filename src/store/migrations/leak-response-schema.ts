// The 0014 migration: leak response. Keys restricted as suspected leaked, the reporters allowed to
// report leaks, the accounts' notification webhooks, and the notification outbox.
import type { Kysely, Migration } from 'kysely';

export function leakResponseSchema(): Migration {
  return {
    async up(db: Kysely<unknown>): Promise<void> {
      // One row per restricted key, never deleted: a restriction cannot be lifted (rotate instead).
      await db.schema
        .createTable('access_key_restrictions')
        .addColumn('access_key_id', 'text', (c) => c.primaryKey())
        .addColumn('account_id', 'text', (c) => c.notNull())
        .addColumn('restricted_at', 'bigint', (c) => c.notNull())
        .addColumn('reason', 'text', (c) => c.notNull())
        .addColumn('reporter', 'text', (c) => c.notNull())
        .execute();
      // A leak report names a secret: its key is found by fingerprint, never by opening every secret.
      await db.schema
        .createIndex('secret_index_fingerprint')
        .on('secret_index')
        .columns(['key_version', 'fingerprint'])
        .execute();
      await db.schema
        .createTable('leak_reporters')
        .addColumn('reporter_name', 'text', (c) => c.primaryKey())
        .addColumn('sealed_secret', 'text', (c) => c.notNull())
        .addColumn('created_at', 'bigint', (c) => c.notNull())
        .execute();
      await db.schema
        .createTable('account_webhooks')
        .addColumn('account_id', 'text', (c) => c.primaryKey())
        .addColumn('url', 'text', (c) => c.notNull())
        .addColumn('sealed_secret', 'text', (c) => c.notNull())
        .addColumn('updated_at', 'bigint', (c) => c.notNull())
        .execute();
      // The outbox: a notification is written in the transaction that causes it, and delivered
      // (at least once) from here, so none is lost to a crash or a receiver that is down.
      await db.schema
        .createTable('notifications')
        .addColumn('notification_id', 'text', (c) => c.primaryKey())
        .addColumn('account_id', 'text', (c) => c.notNull())
        .addColumn('kind', 'text', (c) => c.notNull())
        .addColumn('payload', 'text', (c) => c.notNull())
        .addColumn('created_at', 'bigint', (c) => c.notNull())
        .addColumn('attempts', 'integer', (c) => c.notNull().defaultTo(0))
        .addColumn('next_attempt_at', 'bigint', (c) => c.notNull())
        .addColumn('delivered_at', 'bigint')
        .addColumn('last_error', 'text', (c) => c.notNull().defaultTo(''))
        .execute();
      await db.schema
        .createIndex('notifications_account_created')
        .on('notifications')
        .columns(['account_id', 'created_at'])
        .execute();
      await db.schema
        .createIndex('notifications_due')
        .on('notifications')
        .columns(['delivered_at', 'next_attempt_at'])
        .execute();
    },

    async down(db: Kysely<unknown>): Promise<void> {
      await db.schema.dropTable('notifications').execute();
      await db.schema.dropTable('account_webhooks').execute();
      await db.schema.dropTable('leak_reporters').execute();
      await db.schema.dropIndex('secret_index_fingerprint').execute();
      await db.schema.dropTable('access_key_restrictions').execute();
    },
  };
}
