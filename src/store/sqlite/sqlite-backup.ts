// Backups of a SQLite installation while its server serves, and their restore.
//
// A backup is SQLite's online backup API (better-sqlite3's `backup()`), which copies the database page
// by page beside the running server (WAL: the server keeps reading and writing). When another
// connection writes between two steps, SQLite starts the copy over, so a finished copy is one
// consistent state of the database; a copy that restarts is finished in one step. The copy is
// written to a temporary file next to the target, checked, and renamed into place: a failed backup
// leaves no partial file behind.
import { randomBytes } from 'node:crypto';
import {
  closeSync,
  constants,
  copyFileSync,
  existsSync,
  fchmodSync,
  fsyncSync,
  linkSync,
  mkdirSync,
  openSync,
  renameSync,
  statSync,
  unlinkSync,
} from 'node:fs';
import { basename, dirname, join } from 'node:path';
import BetterSqlite3 from 'better-sqlite3';
import { ramkeyMigrations } from '../migrations/ramkey-migrations.js';
import { journalNonces, lockServing } from './sqlite-nonces.js';
import { sqliteEngineAdapter } from './sqlite-store.js';

/** Kysely's bookkeeping tables, which every migrated database has and no copy carries over. */
export const MIGRATION_TABLES: readonly string[] = ['ramkey_migration', 'ramkey_migration_lock'];

/** Pages a backup step copies (4 MB with SQLite's default 4 KB page): the progress granularity. */
const STEP_PAGES = 1024;
/** The most pages better-sqlite3 lets one step copy: the whole rest of the database. */
const ALL_PAGES = 0x7fffffff;

export interface SqliteBackupProgress {
  copiedPages: number;
  totalPages: number;
  /** Bytes per page. */
  pageSize: number;
}

/** What a database holds: rows per table (Ramkey's tables, not the migration bookkeeping). */
export interface SqliteDatabaseFacts {
  /** The migrations applied to it, by name. */
  migrations: string[];
  rows: Record<string, number>;
  /** One AccessKey's sealed secret, to check that the master key opens the database's secrets. */
  sealedSample?: { accessKeyId: string; sealedSecret: string };
  bytes: number;
}

/** The Ramkey tables of a SQLite database, by name. */
export function sqliteTables(db: BetterSqlite3.Database): string[] {
  const names = db
    .prepare<[], string>(
      "select name from sqlite_master where type = 'table' and name not like 'sqlite\\_%' escape '\\' order by name",
    )
    .pluck()
    .all();
  return names.filter((name) => !MIGRATION_TABLES.includes(name));
}

function quoteId(name: string): string {
  return `"${name.replaceAll('"', '""')}"`;
}

function rowCounts(db: BetterSqlite3.Database): Record<string, number> {
  const rows: Record<string, number> = {};
  for (const table of sqliteTables(db)) {
    rows[table] =
      db
        .prepare<[], number>(`select count(*) from ${quoteId(table)}`)
        .pluck()
        .get() ?? 0;
  }
  return rows;
}

function hasTable(db: BetterSqlite3.Database, name: string): boolean {
  return (
    db.prepare<[string]>("select 1 from sqlite_master where type = 'table' and name = ?").get(name) !==
    undefined
  );
}

/** A SQLite error that says the file is no (intact) SQLite database. */
function isNotADatabase(error: unknown): boolean {
  const code = (error as { code?: unknown }).code;
  return code === 'SQLITE_NOTADB' || code === 'SQLITE_CORRUPT';
}

function removeIfPresent(path: string): void {
  try {
    unlinkSync(path);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
  }
}

function syncFile(path: string): void {
  const fd = openSync(path, 'r');
  try {
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

/** Makes a rename in `dir` durable. */
function syncDirectory(dir: string): void {
  syncFile(dir);
}

/** A new, empty file with mode 0600 next to `path`, for a copy that is renamed onto it once complete. */
function createTempNextTo(path: string, label: string): string {
  const temp = join(dirname(path), `.${basename(path)}.${label}-${randomBytes(6).toString('hex')}`);
  const fd = openSync(temp, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL, 0o600);
  try {
    // The umask can only clear bits from 0600; make it exact.
    fchmodSync(fd, 0o600);
  } finally {
    closeSync(fd);
  }
  return temp;
}

/** Removes a temporary copy and whatever SQLite made beside it. */
function removeTemp(temp: string): void {
  for (const suffix of ['', '-journal', '-wal', '-shm']) removeIfPresent(`${temp}${suffix}`);
}

/** Reads the facts of an open database; throws when it is not a Ramkey database. */
function readFacts(db: BetterSqlite3.Database, file: string, check: 'quick' | 'full'): SqliteDatabaseFacts {
  const result = db
    .prepare<[], string>(check === 'quick' ? 'pragma quick_check' : 'pragma integrity_check')
    .pluck()
    .all();
  if (result.length !== 1 || result[0] !== 'ok') {
    throw new Error(
      `${file} is damaged: the SQLite integrity check failed (${result.slice(0, 3).join('; ')})`,
    );
  }
  if (!hasTable(db, 'ramkey_migration') || !hasTable(db, 'accounts')) {
    throw new Error(`${file} is a SQLite database but not a Ramkey one (it has no Ramkey tables)`);
  }
  const migrations = db.prepare<[], string>('select name from ramkey_migration order by name').pluck().all();
  const sample = db
    .prepare<[], { accessKeyId: string; sealedSecret: string }>(
      "select access_key_id as accessKeyId, sealed_secret as sealedSecret from access_keys where sealed_secret <> '' limit 1",
    )
    .get();
  return {
    migrations,
    rows: rowCounts(db),
    ...(sample && { sealedSample: sample }),
    bytes: statSync(file).size,
  };
}

/** The migrations of a database that this version of Ramkey does not know (a newer Ramkey's). */
function unknownMigrations(migrations: readonly string[]): string[] {
  const known = new Set(Object.keys(ramkeyMigrations(sqliteEngineAdapter.migrationDialect)));
  return migrations.filter((name) => !known.has(name));
}

/**
 * Copies the live database `source` into the new file `target` (refused if it exists), mode 0600,
 * beside a running server. The copy also holds the used nonces the server has journalled but not
 * merged yet (see sqlite-nonces.ts), so that a restored installation refuses replays of the calls it
 * remembers. The copy is a self-contained file (rollback journal mode, no -wal beside it).
 */
export async function backupSqlite(
  source: string,
  target: string,
  onProgress?: (progress: SqliteBackupProgress) => void,
): Promise<SqliteDatabaseFacts> {
  if (!existsSync(source)) throw new Error(`there is no database at ${source}`);
  if (existsSync(target)) throw new Error(`${target} already exists: choose a new file name`);
  if (!existsSync(dirname(target))) throw new Error(`the directory ${dirname(target)} does not exist`);
  // Nonces journalled before the copy (a journal file may be merged into the database and deleted
  // while it runs) and after it.
  const journalled = journalNonces(source);
  const temp = createTempNextTo(target, 'partial');
  try {
    const db = new BetterSqlite3(source, { fileMustExist: true, timeout: 5000 });
    try {
      const pageSize = db.pragma('page_size', { simple: true }) as number;
      let lastRemaining: number | undefined;
      const done = await db.backup(temp, {
        progress: ({ totalPages, remainingPages }) => {
          onProgress?.({ copiedPages: totalPages - remainingPages, totalPages, pageSize });
          // Remaining pages that did not go down: a write started the copy over. Another step-wise
          // pass could be restarted again and again under a steady load; one step is never.
          const restarted = lastRemaining !== undefined && remainingPages >= lastRemaining;
          lastRemaining = remainingPages;
          return restarted ? ALL_PAGES : STEP_PAGES;
        },
      });
      // The last step reports nothing by itself.
      onProgress?.({ copiedPages: done.totalPages, totalPages: done.totalPages, pageSize });
    } finally {
      db.close();
    }
    journalled.push(...journalNonces(source));
    const copy = new BetterSqlite3(temp, { fileMustExist: true });
    let facts: SqliteDatabaseFacts;
    try {
      copy.pragma('journal_mode = DELETE');
      if (journalled.length > 0 && hasTable(copy, 'nonces')) {
        const insert = copy.prepare<[number, Buffer]>(
          'insert into nonces (expires_at, fingerprint) values (?, ?) on conflict do nothing',
        );
        copy.transaction(() => {
          for (const n of journalled) insert.run(n.expiresAt, n.fingerprint);
        })();
      }
      facts = readFacts(copy, temp, 'quick');
    } finally {
      copy.close();
    }
    syncFile(temp);
    renameSync(temp, target);
    syncDirectory(dirname(target));
    return { ...facts, bytes: statSync(target).size };
  } catch (error) {
    removeTemp(temp);
    throw error;
  }
}

export interface SqliteRestoreOutcome {
  facts: SqliteDatabaseFacts;
  /** Where the database that was replaced now is; undefined when there was none. */
  previous?: string;
  /** Used nonces still inside their window carried over from the replaced database. */
  carriedNonces: number;
}

/**
 * Replaces the database `file` by a copy of the backup `from`, once no server runs on it (it takes
 * the serving lock for the duration) and the copy has passed SQLite's integrity check, is a Ramkey
 * database no newer than this version, and passes `verify` (which throws to refuse). The database it
 * replaces is kept, hard-linked, as `<file>.before-restore-<time>` (with its -wal, if one was left);
 * the switch itself is one rename, so a reader sees the old database or the new one, never neither.
 */
export function restoreSqlite(
  from: string,
  file: string,
  now: number,
  verify: (facts: SqliteDatabaseFacts) => void,
): SqliteRestoreOutcome {
  let fromStat;
  try {
    fromStat = statSync(from);
  } catch {
    throw new Error(`there is no file ${from}`);
  }
  if (!fromStat.isFile()) throw new Error(`${from} is not a file`);
  if (existsSync(`${from}-wal`)) {
    throw new Error(
      `${from} has a write-ahead log beside it: it is a live database, not a backup. ` +
        'Make a backup of it with "ramkey backup" and restore that',
    );
  }
  mkdirSync(dirname(file), { recursive: true, mode: 0o700 });
  const unlock = lockServing(file);
  try {
    const temp = createTempNextTo(file, 'restoring');
    try {
      copyFileSync(from, temp);
      let facts: SqliteDatabaseFacts;
      let db: BetterSqlite3.Database | undefined;
      try {
        db = new BetterSqlite3(temp, { fileMustExist: true });
        facts = readFacts(db, from, 'full');
      } catch (error) {
        if (isNotADatabase(error)) throw new Error(`${from} is not a SQLite database`, { cause: error });
        throw error;
      } finally {
        db?.close();
      }
      const newer = unknownMigrations(facts.migrations);
      if (newer.length > 0) {
        throw new Error(
          `${from} was made by a newer version of Ramkey (migrations ${newer.join(', ')}): ` +
            'restore it with that version',
        );
      }
      verify(facts);
      const carriedNonces = existsSync(file) ? carryNonces(file, temp, now) : 0;
      syncFile(temp);
      const previous = existsSync(file) ? setAside(file, now) : undefined;
      renameSync(temp, file);
      syncDirectory(dirname(file));
      return { facts, carriedNonces, ...(previous !== undefined && { previous }) };
    } finally {
      removeTemp(temp);
    }
  } finally {
    unlock();
  }
}

/**
 * Copies the used nonces of the database being replaced that are still inside their window into the
 * restored copy: calls it answered after the backup was made stay refused as replays. (Its journal
 * files stay beside it and are merged into the restored database by the next server.) A replaced
 * database too damaged to read carries none over.
 */
function carryNonces(file: string, restored: string, now: number): number {
  let db: BetterSqlite3.Database | undefined;
  try {
    db = new BetterSqlite3(restored, { fileMustExist: true });
    db.prepare('attach database ? as replaced').run(file);
    const both = db
      .prepare<[], number>(
        "select count(*) from replaced.sqlite_master where type = 'table' and name = 'nonces'",
      )
      .pluck()
      .get();
    if (both !== 1 || !hasTable(db, 'nonces')) return 0;
    return db
      .prepare<[number]>(
        `insert into main.nonces (expires_at, fingerprint)
         select expires_at, fingerprint from replaced.nonces where expires_at >= ? on conflict do nothing`,
      )
      .run(now).changes;
  } catch (error) {
    if (isNotADatabase(error)) return 0;
    throw error;
  } finally {
    db?.close();
  }
}

/**
 * Hard-links the current database to a name of its own (the replacing rename then leaves it there),
 * after folding its WAL into it where possible; a WAL that is left goes along with it.
 */
function setAside(file: string, now: number): string {
  try {
    const db = new BetterSqlite3(file, { fileMustExist: true, timeout: 5000 });
    try {
      db.pragma('wal_checkpoint(TRUNCATE)');
    } finally {
      db.close();
    }
  } catch {
    // A damaged database is set aside as it is, with its WAL.
  }
  const stamp = new Date(now)
    .toISOString()
    .replace(/[-:]/g, '')
    .replace(/\.\d+Z$/, 'Z');
  let aside = `${file}.before-restore-${stamp}`;
  for (let n = 2; existsSync(aside); n++) aside = `${file}.before-restore-${stamp}-${String(n)}`;
  linkSync(file, aside);
  for (const suffix of ['-wal', '-shm']) {
    if (existsSync(`${file}${suffix}`)) renameSync(`${file}${suffix}`, `${aside}${suffix}`);
  }
  return aside;
}
