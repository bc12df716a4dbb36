// createKyselyStore: the one Store implementation, composed of one Kysely module per aggregate over
// a shared context, the same queries on SQLite and PostgreSQL.
import { Migrator, sql, type Kysely } from 'kysely';
import type { Database } from '../database.js';
import type { EngineAdapter } from '../engine-adapter.js';
import { ramkeyMigrationProvider } from '../migrations/ramkey-migrations.js';
import type { Store } from '../store.js';
import { kyselyAccessKeyPolicyStore } from './access-key-policy-store.js';
import { kyselyAccessKeyStore } from './access-key-store.js';
import { kyselyAccountStore } from './account-store.js';
import { kyselyAttachmentStore } from './attachment-store.js';
import { kyselyAuditStore } from './audit-store.js';
import { StoreContext, type EngineWrites } from './context.js';
import { kyselyCredentialReportStore } from './credential-report-store.js';
import { kyselyDirectoryStore } from './directory-store.js';
import { kyselyGroupStore } from './group-store.js';
import { kyselyJobLeaseStore } from './job-lease-store.js';
import { kyselyLeakResponseStore } from './leak-response-store.js';
import { kyselyLoginProfileStore } from './login-profile-store.js';
import { kyselyConsoleSessionStore } from './console-session-store.js';
import { kyselyMfaDeviceStore } from './mfa-device-store.js';
import { kyselyNonceStore } from './nonce-store.js';
import { kyselyPolicyStore } from './policy-store.js';
import { kyselySecretIndexStore } from './secret-index-store.js';
import { kyselyServiceStore } from './service-store.js';
import { kyselyUserStore } from './user-store.js';

const MIGRATION_TABLE = 'ramkey_migration';
const MIGRATION_LOCK_TABLE = 'ramkey_migration_lock';

export function createKyselyStore(
  db: Kysely<Database>,
  adapter: EngineAdapter,
  engineWrites?: EngineWrites,
): Store {
  const ctx = new StoreContext(db, adapter, engineWrites);
  return {
    capabilities: adapter.capabilities,

    async migrate() {
      const { migrationTableSchema } = await adapter.prepareMigrations(db);
      const migrator = new Migrator({
        db,
        provider: ramkeyMigrationProvider(adapter.migrationDialect),
        migrationTableName: MIGRATION_TABLE,
        migrationLockTableName: MIGRATION_LOCK_TABLE,
        migrationTableSchema,
      });
      // Nodes starting together race to set up the migration tables and lock row: a setup that
      // failed is tried again (the migrations themselves run under the migrator's lock).
      for (let attempt = 1; ; attempt++) {
        const { error, results } = await migrator.migrateToLatest();
        if (error === undefined) return;
        const failed = results?.find((r) => r.status === 'Error')?.migrationName;
        if (failed === undefined && attempt < 3) {
          await new Promise((resolve) => setTimeout(resolve, 100 * attempt));
          continue;
        }
        const reason = error instanceof Error ? `: ${error.message}` : '';
        throw new Error(`database migration failed (${failed ?? 'setup'})${reason}`, { cause: error });
      }
    },

    async ping() {
      await sql`select 1`.execute(db);
    },

    close: () => db.destroy(),

    ...kyselyAccountStore(ctx),
    ...kyselyUserStore(ctx),
    ...kyselyGroupStore(ctx),
    ...kyselyPolicyStore(ctx),
    ...kyselyAttachmentStore(ctx),
    ...kyselyAccessKeyStore(ctx),
    ...kyselyAccessKeyPolicyStore(ctx),
    ...kyselyAuditStore(ctx),
    ...kyselyCredentialReportStore(ctx),
    ...kyselyLoginProfileStore(ctx),
    ...kyselyConsoleSessionStore(ctx),
    ...kyselyMfaDeviceStore(ctx),
    ...kyselySecretIndexStore(ctx),
    ...kyselyLeakResponseStore(ctx),
    ...kyselyDirectoryStore(ctx),
    ...kyselyServiceStore(ctx),
    ...kyselyNonceStore(ctx),
    ...kyselyJobLeaseStore(ctx),
  };
}
