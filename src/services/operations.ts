// Operations on a whole installation: backing up and restoring a SQLite one, and moving one from
// SQLite to PostgreSQL. The errors these throw are meant for the operator as they are.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { SQLITE_FILE_NAME } from '../store/open-store.js';
import {
  copySqliteToPostgres,
  type CopyProgress,
  type CopyReport,
} from '../store/postgres/copy-from-sqlite.js';
import { loadMasterKeyRing, Sealer } from '../store/sealer.js';
import {
  backupSqlite,
  restoreSqlite,
  type SqliteBackupProgress,
  type SqliteDatabaseFacts,
} from '../store/sqlite/sqlite-backup.js';
import { NonceJournalBusyError } from '../store/sqlite/sqlite-nonces.js';
import { MASTER_KEY_FILE, type InstallationConfig } from './installation.js';

export type { CopyProgress, CopyReport, SqliteBackupProgress, SqliteDatabaseFacts };

/** Where the master key of an installation comes from: what an operator must back up beside the data. */
export function masterKeySource(config: InstallationConfig): string {
  return config.masterKey !== undefined && config.masterKey.trim() !== ''
    ? 'RAMKEY_MASTER_KEY'
    : join(config.dataDir, MASTER_KEY_FILE);
}

/** A PostgreSQL URL fit to print: the password, if any, masked. */
export function describeDatabaseUrl(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password !== '') parsed.password = '***';
    return parsed.toString();
  } catch {
    return '(unparsable URL)';
  }
}

function refuseOnPostgres(config: InstallationConfig, what: string): void {
  if (config.databaseUrl !== undefined && config.databaseUrl.trim() !== '') {
    throw new Error(
      `${what} works on a SQLite installation, and RAMKEY_DATABASE_URL says this one lives in PostgreSQL: ` +
        'back it up with pg_dump and restore it with pg_restore (README, "Backup and restore")',
    );
  }
}

function sqliteFile(config: InstallationConfig): string {
  return join(config.dataDir, SQLITE_FILE_NAME);
}

function requireSqliteInstallation(config: InstallationConfig): string {
  const file = sqliteFile(config);
  if (!existsSync(file)) {
    throw new Error(`No Ramkey installation in ${config.dataDir} (no ${SQLITE_FILE_NAME} there)`);
  }
  return file;
}

export interface BackupReport extends SqliteDatabaseFacts {
  file: string;
  /** What holds the master key, which the backup does not contain. */
  masterKey: string;
}

/** An online, consistent copy of the installation's SQLite database into the new file `to`. */
export async function backupInstallation(
  config: InstallationConfig,
  to: string,
  onProgress?: (progress: SqliteBackupProgress) => void,
): Promise<BackupReport> {
  refuseOnPostgres(config, 'ramkey backup');
  const facts = await backupSqlite(requireSqliteInstallation(config), to, onProgress);
  return { ...facts, file: to, masterKey: masterKeySource(config) };
}

export interface RestoreReport extends SqliteDatabaseFacts {
  /** The database file restored into. */
  file: string;
  /** Where the database it replaced was set aside; absent when there was none. */
  previous?: string;
  /** Used nonces, still inside their window, that the replaced database gave the restored one. */
  carriedNonces: number;
  masterKey: string;
}

/**
 * Restores a backup into the installation's data directory (which may be new), refusing while a
 * server runs on it, and unless the installation's master key opens the backup's sealed secrets.
 */
export function restoreInstallation(config: InstallationConfig, from: string, now: number): RestoreReport {
  refuseOnPostgres(config, 'ramkey restore');
  const masterKey = masterKeySource(config);
  let sealer: Sealer;
  try {
    sealer = new Sealer(
      loadMasterKeyRing({ env: config.masterKey, file: join(config.dataDir, MASTER_KEY_FILE) }),
    );
  } catch (error) {
    throw new Error(
      'A backup needs the master key of the installation it came from, and none was found ' +
        `(${error instanceof Error ? error.message : String(error)}). Copy that installation's ` +
        `master.key into ${config.dataDir} (mode 0600), or set RAMKEY_MASTER_KEY, then restore`,
      { cause: error },
    );
  }
  const file = sqliteFile(config);
  try {
    const outcome = restoreSqlite(from, file, now, (facts) => {
      const sample = facts.sealedSample;
      if (sample === undefined) return;
      try {
        sealer.open(sample.accessKeyId, sample.sealedSecret);
      } catch {
        throw new Error(
          `The master key (${masterKey}) does not open the AccessKey secrets in ${from}: ` +
            'restore with the master key of the installation the backup came from',
        );
      }
    });
    return {
      ...outcome.facts,
      file,
      ...(outcome.previous && { previous: outcome.previous }),
      carriedNonces: outcome.carriedNonces,
      masterKey,
    };
  } catch (error) {
    if (error instanceof NonceJournalBusyError) {
      throw new Error(`A Ramkey server is running on ${config.dataDir}: stop it before restoring into it`, {
        cause: error,
      });
    }
    throw error;
  }
}

export interface MigrationTarget {
  /** postgres:// or postgresql:// URL. */
  url: string;
  /** The schema to create the tables in; default: the server's search_path (usually `public`). */
  schema?: string;
}

export interface MigrationReport extends CopyReport {
  /** The target URL, password masked. */
  target: string;
  masterKey: string;
}

/** Copies the SQLite installation into an empty PostgreSQL database or schema, and checks the copy. */
export async function migrateToPostgres(
  config: InstallationConfig,
  target: MigrationTarget,
  onProgress?: (progress: CopyProgress) => void,
): Promise<MigrationReport> {
  if (config.databaseUrl !== undefined && config.databaseUrl.trim() !== '') {
    throw new Error(
      'RAMKEY_DATABASE_URL is set, so this installation already lives in PostgreSQL; ramkey migrate ' +
        'reads the SQLite installation of --data: unset RAMKEY_DATABASE_URL for this command',
    );
  }
  if (!/^postgres(ql)?:\/\//i.test(target.url.trim())) {
    throw new Error('--to must be a postgres:// or postgresql:// URL');
  }
  const file = requireSqliteInstallation(config);
  try {
    const report = await copySqliteToPostgres({
      sqliteFile: file,
      postgres: { url: target.url.trim(), ...(target.schema !== undefined && { schema: target.schema }) },
      ...(onProgress && { onProgress }),
    });
    return { ...report, target: describeDatabaseUrl(target.url), masterKey: masterKeySource(config) };
  } catch (error) {
    if (error instanceof NonceJournalBusyError) {
      throw new Error(
        `A Ramkey server is running on ${config.dataDir}: stop it first (what it wrote after the copy ` +
          'would be lost), then migrate',
        { cause: error },
      );
    }
    throw error;
  }
}
