// Test stores on both engines: a migrated SQLite file in a temp dir, or a migrated PostgreSQL schema of its own.
//
// Any suite that needs a real store (contract, services, API) takes it from here, so every engine is
// set up and torn down the same way. `STORES=sqlite` or `STORES=postgres` limits a local run to one
// engine; CI runs both, and fails when PostgreSQL is unreachable rather than passing quietly.
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { sql, type Kysely } from 'kysely';
import pg from 'pg';
import { describe, it } from 'vitest';
import type { Database } from '../../src/store/database.js';
import { createPostgresKysely, createPostgresStore } from '../../src/store/postgres/postgres-store.js';
import { createSqliteKysely, createSqliteStore } from '../../src/store/sqlite/sqlite-store.js';
import type { Store } from '../../src/store/store.js';
import { makeTempDir } from './temp-dir.js';

export type Engine = Store['capabilities']['engine'];

/** The PostgreSQL server tests use: RAMKEY_TEST_DATABASE_URL, or the local default. */
export const testDatabaseUrl =
  process.env.RAMKEY_TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';

export interface TestStore {
  engine: Engine;
  /** Migrated and ready. */
  store: Store;
  /**
   * A second, independent connection to the same database, for looking underneath the store
   * (raw rows, direct tampering). Tests only.
   */
  raw: Kysely<Database>;
  /** Closes both connections and removes the database (file or schema). */
  cleanup(): Promise<void>;
}

export interface SqliteTestStore extends TestStore {
  engine: 'sqlite';
  /** The database file; SQLite keeps `<file>-wal` and `<file>-shm` next to it. */
  file: string;
  dir: string;
}

export interface PostgresTestStore extends TestStore {
  engine: 'postgres';
  url: string;
  /** The schema this store lives in, `ramkey_test_<random>`, dropped by cleanup. */
  schema: string;
}

/** The test database URL with any password masked, fit for messages. */
export function describeTestDatabaseUrl(): string {
  try {
    const url = new URL(testDatabaseUrl);
    if (url.password !== '') url.password = '***';
    return url.toString();
  } catch {
    return '(unparsable RAMKEY_TEST_DATABASE_URL)';
  }
}

/** True when the STORES filter (comma-separated engine names; unset means all) includes `engine`. */
export function storeSelected(engine: Engine): boolean {
  const filter = process.env.STORES?.trim();
  if (filter === undefined || filter === '') return true;
  return filter
    .split(',')
    .map((s) => s.trim().toLowerCase())
    .includes(engine);
}

export async function makeSqliteTestStore(): Promise<SqliteTestStore> {
  const temp = await makeTempDir('ramkey-store-');
  const file = join(temp.dir, 'ramkey.db');
  const store = createSqliteStore({ file });
  await store.migrate();
  const raw = createSqliteKysely({ file });
  return {
    engine: 'sqlite',
    store,
    raw,
    file,
    dir: temp.dir,
    async cleanup() {
      await store.close();
      await raw.destroy();
      await temp.cleanup();
    },
  };
}

export async function makePostgresTestStore(): Promise<PostgresTestStore> {
  const schema = `ramkey_test_${randomBytes(6).toString('hex')}`;
  const raw = createPostgresKysely({ url: testDatabaseUrl, schema, maxConnections: 2 });
  // Plain CREATE (no IF NOT EXISTS): the run must start from an empty schema of its own.
  await sql`create schema ${sql.id(schema)}`.execute(raw);
  const store = createPostgresStore({ url: testDatabaseUrl, schema });
  try {
    await store.migrate();
  } catch (error) {
    await store.close();
    await sql`drop schema if exists ${sql.id(schema)} cascade`.execute(raw);
    await raw.destroy();
    throw error;
  }
  return {
    engine: 'postgres',
    store,
    raw,
    url: testDatabaseUrl,
    schema,
    async cleanup() {
      await store.close();
      await sql`drop schema if exists ${sql.id(schema)} cascade`.execute(raw);
      await raw.destroy();
    },
  };
}

export type Availability = { ok: true } | { ok: false; reason: string };

let availability: Promise<Availability> | undefined;

/**
 * A fresh PostgreSQL database of its own for one server run (servers never share state), dropped by
 * the returned function.
 */
export async function createTestDatabase(): Promise<{ url: string; drop(): Promise<void> }> {
  const name = `ramkey_api_${randomBytes(6).toString('hex')}`;
  const admin = new pg.Client({ connectionString: testDatabaseUrl });
  await admin.connect();
  try {
    await admin.query(`CREATE DATABASE ${name}`);
  } finally {
    await admin.end();
  }
  const url = new URL(testDatabaseUrl);
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    async drop() {
      const client = new pg.Client({ connectionString: testDatabaseUrl });
      await client.connect();
      try {
        await client.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      } finally {
        await client.end();
      }
    },
  };
}

/** Whether the test PostgreSQL answers a query; asked once per test file. */
export function postgresAvailable(): Promise<Availability> {
  availability ??= (async (): Promise<Availability> => {
    const client = new pg.Client({ connectionString: testDatabaseUrl, connectionTimeoutMillis: 3000 });
    client.on('error', () => undefined);
    try {
      await client.connect();
      await client.query('select 1');
      return { ok: true };
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      return { ok: false, reason: `PostgreSQL at ${describeTestDatabaseUrl()} is unreachable (${message})` };
    } finally {
      await client.end().catch(() => undefined);
    }
  })();
  return availability;
}

/** `describe` for a suite that runs on SQLite, unless the STORES filter leaves SQLite out. */
export function describeSqlite(name: string, body: () => void): void {
  if (storeSelected('sqlite')) describe(name, body);
  else describe.skip(`${name} (skipped: STORES=${process.env.STORES ?? ''} leaves out sqlite)`, body);
}

/**
 * `describe` for a suite that needs PostgreSQL. Unreachable: fails under CI (a store that cannot
 * run must not pass quietly), else skips with the reason printed. Call it with top-level await.
 *
 * @example
 * await describePostgres('identity service on PostgreSQL', () => { ... });
 */
export async function describePostgres(name: string, body: () => void): Promise<void> {
  if (!storeSelected('postgres')) {
    describe.skip(`${name} (skipped: STORES=${process.env.STORES ?? ''} leaves out postgres)`, body);
    return;
  }
  const found = await postgresAvailable();
  if (found.ok) {
    describe(name, body);
  } else if (process.env.CI) {
    describe(name, () => {
      it('needs a reachable PostgreSQL: CI runs every store', () => {
        throw new Error(`${found.reason}. Start PostgreSQL or set RAMKEY_TEST_DATABASE_URL.`);
      });
    });
  } else {
    console.warn(`[ramkey tests] skipping "${name}": ${found.reason}`);
    describe.skip(`${name} (skipped: ${found.reason})`, body);
  }
}

/**
 * Registers `body` once per engine (each honouring STORES and PostgreSQL's availability), for suites
 * that must hold on every store, such as the service tests. Call it with top-level await.
 *
 * @example
 * await describeEachStore('access key service', (makeStore) => {
 *   let handle: TestStore;
 *   beforeAll(async () => { handle = await makeStore(); });
 *   afterAll(() => handle.cleanup());
 * });
 */
export async function describeEachStore(
  name: string,
  body: (makeStore: () => Promise<TestStore>, engine: Engine) => void,
): Promise<void> {
  describeSqlite(`${name} on sqlite`, () => {
    body(makeSqliteTestStore, 'sqlite');
  });
  await describePostgres(`${name} on postgres`, () => {
    body(makePostgresTestStore, 'postgres');
  });
}
