// openStore: picks the store from configuration, PostgreSQL for a postgres:// URL, else SQLite in the data directory.
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { createPostgresStore } from './postgres/postgres-store.js';
import { createSqliteStore } from './sqlite/sqlite-store.js';
import type { Store } from './store.js';

export interface StoreConfig {
  /** RAMKEY_DATABASE_URL; unset or empty means the embedded SQLite file. */
  databaseUrl?: string;
  /** RAMKEY_DATA: where `ramkey.db` lives when no database URL is given. */
  dataDir: string;
  /**
   * RAMKEY_DATABASE_SCHEMA: the PostgreSQL schema that holds Ramkey's tables (created when missing);
   * unset or empty means the server's search_path. PostgreSQL only.
   */
  databaseSchema?: string;
}

export const SQLITE_FILE_NAME = 'ramkey.db';

/**
 * The configured store, not yet migrated: call `migrate()` before use.
 *
 * @example
 * const store = await openStore({ databaseUrl: process.env.RAMKEY_DATABASE_URL, dataDir: './ramkey-data' });
 * await store.migrate();
 */
export function openStore(config: StoreConfig): Promise<Store> {
  // Async so that callers need not change when opening grows a step that waits (say, a first ping).
  return Promise.resolve().then(() => openStoreNow(config));
}

function openStoreNow(config: StoreConfig): Store {
  const url = config.databaseUrl?.trim() ?? '';
  const schema = config.databaseSchema?.trim() ?? '';
  if (/^postgres(ql)?:\/\//i.test(url)) {
    return createPostgresStore({ url, ...(schema !== '' && { schema }) });
  }
  if (schema !== '') throw new Error('a database schema applies to PostgreSQL only: set a postgres:// URL');
  // Failing loudly beats quietly storing everything in a local file the operator did not ask for.
  // The URL itself is not echoed: it may carry a password.
  if (url !== '')
    throw new Error('unsupported database URL: only postgres:// and postgresql:// are supported');
  // 0700: the directory holds the database with sealed secrets (and usually the master key file).
  mkdirSync(config.dataDir, { recursive: true, mode: 0o700 });
  return createSqliteStore({ file: join(config.dataDir, SQLITE_FILE_NAME) });
}
