// The sixth migration: signature nonces already used, so that replay protection survives restarts.
import { sql, type Kysely, type Migration } from 'kysely';
import type { MigrationDialect } from './migration-dialect.js';

export function noncesSchema(dialect: MigrationDialect): Migration {
  return {
    async up(db: Kysely<unknown>): Promise<void> {
      // Keyed by expiry first: new rows land at the right edge of the B-tree (their expiry is about
      // now + the window), so a batch of inserts dirties a few pages instead of one per row, and the
      // purge deletes a range from the left edge, with no second index. The fingerprint is a
      // 16-byte hash of the AccessKey ID and nonce: the nonce text is never stored.
      let table = db.schema
        .createTable('nonces')
        .addColumn('expires_at', 'bigint', (c) => c.notNull())
        .addColumn('fingerprint', dialect.binaryType, (c) => c.notNull())
        .addPrimaryKeyConstraint('nonces_pk', ['expires_at', 'fingerprint']);
      if (dialect.withoutRowid) table = table.modifyEnd(sql`without rowid`);
      await table.execute();
    },

    async down(db: Kysely<unknown>): Promise<void> {
      await db.schema.dropTable('nonces').execute();
    },
  };
}
