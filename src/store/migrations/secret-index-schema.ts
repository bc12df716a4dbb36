// The secret index migration: a keyed fingerprint per live AccessKey secret (see SecretIndexStore).
import type { Kysely, Migration } from 'kysely';

export function secretIndexSchema(): Migration {
  return {
    async up(db: Kysely<unknown>): Promise<void> {
      // One row per key. Keys that exist before this migration get theirs at the next start-up
      // (the secret index's backfill): a migration has no master key, so it cannot make them.
      await db.schema
        .createTable('secret_index')
        .addColumn('access_key_id', 'text', (c) => c.primaryKey().references('access_keys.access_key_id'))
        .addColumn('key_version', 'integer', (c) => c.notNull())
        .addColumn('fingerprint', 'text', (c) => c.notNull())
        .execute();
    },

    async down(db: Kysely<unknown>): Promise<void> {
      await db.schema.dropTable('secret_index').execute();
    },
  };
}
