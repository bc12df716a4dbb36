// createSqliteStore: the embedded store, one SQLite file (WAL) opened with better-sqlite3.
import { closeSync, openSync } from 'node:fs';
import BetterSqlite3 from 'better-sqlite3';
import { Kysely, SqliteDialect, type SqliteDatabase } from 'kysely';
import type { Database } from '../database.js';
import type { EngineAdapter } from '../engine-adapter.js';
import { createKyselyStore } from '../kysely/kysely-store.js';
import type { Store } from '../store.js';
import { type Checkpointer, startCheckpointer } from './checkpointer.js';
import { sqliteNonceStore } from './sqlite-nonces.js';
import { sqliteEngineWrites } from './sqlite-writes.js';
import { isSqliteForeignKeyViolation, isSqliteUniqueViolation } from './sqlite-errors.js';

export interface SqliteStoreOptions {
  /** Path of the database file, or ':memory:' (tests only: WAL and other processes do not apply). */
  file: string;
  /** How long a statement waits for another process's write lock before failing. Default 5000. */
  busyTimeoutMs?: number;
}

const MEMORY = ':memory:';

/**
 * Opens (creating if needed) the database file with the pragmas Ramkey relies on. A new file is
 * created with mode 0600 first: it holds sealed secrets and password hashes, and SQLite gives its
 * -wal and -shm files the database file's permissions.
 */
export function openSqliteDatabase(options: SqliteStoreOptions): BetterSqlite3.Database {
  if (options.file !== MEMORY) closeSync(openSync(options.file, 'a', 0o600));
  const db = new BetterSqlite3(options.file, { timeout: options.busyTimeoutMs ?? 5000 });
  try {
    // WAL lets readers run while one writer writes; NORMAL is durable across process crashes in WAL
    // mode (a power loss may drop the last commits, never corrupt); foreign keys are off by default.
    db.pragma('journal_mode = WAL');
    db.pragma('synchronous = NORMAL');
    db.pragma('foreign_keys = ON');
  } catch (error) {
    db.close();
    throw error;
  }
  return db;
}

/** Prepared statements kept per database; the store issues a few dozen distinct SQL texts. */
const MAX_CACHED_STATEMENTS = 512;

/**
 * The database as Kysely's SQLite driver sees it, with prepared statements reused by SQL text:
 * the driver prepares every statement it runs, and preparing costs more than running a small one
 * (a few microseconds per row of a batch insert). Safe because the store never streams a query, so
 * no statement is ever in the middle of an iteration when it is run again.
 */
export function withStatementCache(db: BetterSqlite3.Database): SqliteDatabase {
  const statements = new Map<string, BetterSqlite3.Statement>();
  return {
    close: () => {
      statements.clear();
      db.close();
    },
    prepare: (sql: string) => {
      let statement = statements.get(sql);
      if (statement === undefined) {
        statement = db.prepare(sql);
        if (statements.size >= MAX_CACHED_STATEMENTS) {
          const oldest = statements.keys().next();
          if (!oldest.done) statements.delete(oldest.value);
        }
        statements.set(sql, statement);
      }
      return statement;
    },
  };
}

/** A Kysely instance over a SQLite file; the store uses it, and tests use it to look underneath. */
export function createSqliteKysely(options: SqliteStoreOptions): Kysely<Database> {
  return kyselyOver(openSqliteDatabase(options));
}

function kyselyOver(raw: BetterSqlite3.Database): Kysely<Database> {
  return new Kysely<Database>({ dialect: new SqliteDialect({ database: withStatementCache(raw) }) });
}

export const sqliteEngineAdapter: EngineAdapter = {
  capabilities: { engine: 'sqlite', supportsAdvisoryLocks: false },
  // BINARY, SQLite's default collation, already compares byte by byte.
  migrationDialect: { binaryType: 'blob', withoutRowid: true },
  prepareMigrations: () => Promise.resolve({ migrationTableSchema: undefined }),
  isUniqueViolation: isSqliteUniqueViolation,
  isForeignKeyViolation: isSqliteForeignKeyViolation,
  // SQLite has one writer at a time per database file; the store's write-first transactions take
  // that lock with their first statement, which is all the serialization they need.
  lock: () => Promise.resolve(),
};

/**
 * The Kysely store, with its hot writes (used nonces, audit events) on better-sqlite3 directly: see
 * sqlite-writes.ts for what that saves. A serving process (the one that claims the nonces) also
 * moves its WAL checkpoints to a worker thread (checkpointer.ts); operator commands and tests keep
 * SQLite's own, and do not pay the worker's start (~40 ms).
 */
export function createSqliteStore(options: SqliteStoreOptions): Store {
  const raw = openSqliteDatabase(options);
  const db = kyselyOver(raw);
  const store = createKyselyStore(db, sqliteEngineAdapter, sqliteEngineWrites(raw));
  const file = options.file === MEMORY ? undefined : options.file;
  const { closeNonces, ...nonces } = sqliteNonceStore(db, raw, { file });
  let checkpointer: Checkpointer | undefined;
  return {
    ...store,
    ...nonces,
    async claimNonces() {
      await nonces.claimNonces();
      if (file !== undefined) checkpointer ??= startCheckpointer(raw, file);
    },
    async close() {
      await checkpointer?.close();
      closeNonces();
      await store.close();
    },
  };
}
