// EngineAdapter: the small pieces that differ between SQLite and PostgreSQL, so the Kysely store's queries stay one.
import type { Kysely, Transaction } from 'kysely';
import type { Database } from './database.js';
import type { MigrationDialect } from './migrations/migration-dialect.js';
import type { StoreCapabilities } from './store.js';

export interface EngineAdapter {
  readonly capabilities: StoreCapabilities;
  readonly migrationDialect: MigrationDialect;
  /**
   * Makes the database ready for Kysely's Migrator and names the schema its bookkeeping tables live
   * in (undefined: the engine has no schemas).
   */
  prepareMigrations(db: Kysely<Database>): Promise<{ migrationTableSchema: string | undefined }>;
  /** True for a unique or primary key violation, whatever the driver calls it. */
  isUniqueViolation(error: unknown): boolean;
  /** True for a foreign key violation. */
  isForeignKeyViolation(error: unknown): boolean;
  /**
   * Takes the named locks, in the order given, until the transaction ends: every other transaction
   * taking one of them waits (the store names a lock per principal, group, policy, and per account
   * for its group and policy counts, and orders them so that no two transactions wait on each other).
   * May be a no-op where the engine already runs one writer at a time, provided the transaction writes
   * before it reads (see kysely/context.ts).
   */
  lock(trx: Transaction<Database>, lockNames: readonly string[]): Promise<void>;
}
