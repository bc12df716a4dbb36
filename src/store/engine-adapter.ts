// EngineAdapter: the small pieces that differ between SQLite and PostgreSQL, so KyselyStore's queries stay one.
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
   * Serializes, until the transaction ends, every writer that counts or changes one principal's
   * keys (create key, delete user). May be a no-op where the engine already runs one writer at a
   * time, provided the transaction writes before it reads (see KyselyStore).
   */
  lockPrincipal(trx: Transaction<Database>, accountId: string, userId: string | null): Promise<void>;
}
