// The sixteenth migration: the SQLite nonce journal (see store/sqlite/sqlite-nonces.ts). Used nonces
// are appended to it per batch and merged into `nonces` in sorted chunks. PostgreSQL writes `nonces`
// directly and gets no journal.
import { sql, type Kysely, type Migration } from 'kysely';
import type { MigrationDialect } from './migration-dialect.js';

export function nonceJournalSchema(dialect: MigrationDialect): Migration {
  return {
    async up(db: Kysely<unknown>): Promise<void> {
      if (!dialect.nonceJournal) return;
      // AUTOINCREMENT: ids are never given out twice, even once the journal has been merged empty,
      // so every process can read what others appended as "ids above the last one I saw".
      await sql`create table nonce_journal (
        id integer primary key autoincrement,
        expires_at bigint not null,
        fingerprint blob not null)`.execute(db);
    },

    async down(db: Kysely<unknown>): Promise<void> {
      if (!dialect.nonceJournal) return;
      await db.schema.dropTable('nonce_journal').execute();
    },
  };
}
