// createPostgresStore: the scale-out store, PostgreSQL through a node-postgres pool.
import {
  Kysely,
  PostgresDialect,
  sql,
  type PostgresPool,
  type PostgresPoolClient,
  type Transaction,
} from 'kysely';
import pg from 'pg';
import { RamkeyError } from '../../core/errors/ramkey-error.js';
import type { Database } from '../database.js';
import type { EngineAdapter } from '../engine-adapter.js';
import { createKyselyStore } from '../kysely/kysely-store.js';
import type { Store } from '../store.js';
import {
  isPostgresForeignKeyViolation,
  isPostgresSchemaRace,
  isPostgresUnavailable,
  isPostgresUniqueViolation,
} from './postgres-errors.js';

export interface PostgresStoreOptions {
  /** `postgres://user:password@host:port/database` (any form node-postgres accepts). */
  url: string;
  /**
   * The schema that holds Ramkey's tables, put first on every connection's search_path and created
   * by migrate() when missing. Lower-case letters, digits and `_` only. Default: the server's
   * search_path (usually `public`).
   */
  schema?: string;
  /** Pool size. Default 10. */
  maxConnections?: number;
  /**
   * How long opening a connection may take before the query waiting for it fails (default 5,000 ms):
   * a server that does not answer at all fails calls rather than holding them.
   */
  connectionTimeoutMs?: number;
  /**
   * Called when an idle pooled connection fails (say, the server restarted). The pool has already
   * dropped that connection and opens a fresh one for the next query; without a listener node-postgres
   * would crash the process.
   */
  onIdleError?: (error: Error) => void;
}

/**
 * int8 (bigint columns, count(*)) arrives as text because it can exceed 2^53. Ramkey's int8 values
 * are millisecond instants and counts, far below that, so they become numbers; anything unsafe
 * throws rather than silently losing precision. Set per pool, never on pg's global type registry,
 * so other pg users in the process are untouched.
 */
type TypeParser = (value: string) => unknown;

function parseInt8(value: string): number {
  const n = Number(value);
  if (!Number.isSafeInteger(n)) throw new RangeError('int8 value outside the safe integer range');
  return n;
}

const ramkeyTypes: pg.CustomTypesConfig = {
  getTypeParser: (oid, format) => {
    if (oid === pg.types.builtins.INT8 && format !== 'binary') return parseInt8;
    return pg.types.getTypeParser(oid, format) as TypeParser;
  },
};

function checkSchemaName(schema: string): string {
  // Restricting the name keeps it safe both as an identifier and inside the startup `options` string.
  if (!/^[a-z_][a-z0-9_]{0,62}$/.test(schema)) {
    throw new Error(`invalid PostgreSQL schema name "${schema}": use lower-case letters, digits and _`);
  }
  return schema;
}

export function createPostgresPool(options: PostgresStoreOptions): pg.Pool {
  const config: pg.PoolConfig = {
    connectionString: options.url,
    max: options.maxConnections ?? 10,
    connectionTimeoutMillis: options.connectionTimeoutMs ?? 5000,
    types: ramkeyTypes,
  };
  // A startup parameter applies search_path to every connection the pool ever opens, before any
  // query runs, with no per-connection SET to forget or to race.
  if (options.schema !== undefined) config.options = `-c search_path=${checkSchemaName(options.schema)}`;
  const pool = new pg.Pool(config);
  pool.on('error', options.onIdleError ?? (() => undefined));
  return pool;
}

/** A Kysely instance over a PostgreSQL pool; the store uses it, and tests use it to look underneath. */
export function createPostgresKysely(options: PostgresStoreOptions): Kysely<Database> {
  const pool = reportingUnavailable(createPostgresPool(options));
  return new Kysely<Database>({ dialect: new PostgresDialect({ pool }) });
}

/**
 * A server that cannot be reached (down, restarting, out of connections, gone mid-query) fails the
 * call with ServiceUnavailable (503, retryable) rather than InternalError: the call may be sent again
 * unchanged. Nothing is half-written meanwhile: every write is one transaction (see
 * StoreContext.write), which PostgreSQL rolls back when its connection is lost before COMMIT.
 */
function unavailable(error: unknown): unknown {
  if (!isPostgresUnavailable(error)) return error;
  return new RamkeyError('ServiceUnavailable', { detail: 'the database is unreachable', cause: error });
}

/** The pool as Kysely uses it, with the errors of an unreachable server translated (see unavailable). */
function reportingUnavailable(pool: pg.Pool): PostgresPool {
  // One wrapper per pooled connection: Kysely keeps its own per-connection state keyed by it.
  const wrappers = new WeakMap<pg.PoolClient, PostgresPoolClient>();
  return {
    async connect() {
      let client: pg.PoolClient;
      try {
        client = await pool.connect();
      } catch (error) {
        throw unavailable(error);
      }
      let wrapper = wrappers.get(client);
      if (!wrapper) {
        // Only the (text, parameters) form: the store configures no cursor.
        const query = (text: string, parameters: readonly unknown[]) =>
          client.query(text, [...parameters]).catch((error: unknown) => {
            throw unavailable(error);
          });
        wrapper = {
          query: query as unknown as PostgresPoolClient['query'],
          release: (destroy?: boolean) => {
            client.release(destroy);
          },
        };
        wrappers.set(client, wrapper);
      }
      return wrapper;
    },
    end: () => pool.end(),
  };
}

export function postgresEngineAdapter(schema: string | undefined): EngineAdapter {
  return {
    capabilities: { engine: 'postgres', supportsAdvisoryLocks: true },
    // The database's default collation follows its locale; "C" orders user names as SQLite does.
    migrationDialect: { bytewiseCollation: 'C', binaryType: 'bytea', withoutRowid: false },

    async prepareMigrations(db: Kysely<Database>) {
      if (schema !== undefined) {
        try {
          await sql`create schema if not exists ${sql.id(schema)}`.execute(db);
        } catch (error) {
          if (!isPostgresSchemaRace(error)) throw error;
        }
        return { migrationTableSchema: schema };
      }
      // Name the schema explicitly: unnamed, Kysely's Migrator would take a migration table in ANY
      // schema of the database as ours.
      const { rows } = await sql<{ schema: string | null }>`select current_schema() as schema`.execute(db);
      const current = rows[0]?.schema ?? null;
      if (current === null) throw new Error('PostgreSQL search_path names no existing schema');
      return { migrationTableSchema: current };
    },

    isUniqueViolation: isPostgresUniqueViolation,
    isForeignKeyViolation: isPostgresForeignKeyViolation,

    // Transaction-scoped advisory locks on a hash of each name, rather than SELECT ... FOR UPDATE on
    // rows: root keys have no user row to lock and a group count has no row at all (locking the
    // account row instead would serialize every user of the account), they take no row lock that
    // would block unrelated writes such as UpdateUser, and COMMIT/ROLLBACK releases them. A hash
    // collision between two names only serializes them needlessly (or, between names of one
    // transaction, could make PostgreSQL report a deadlock, a 2^-64 chance that fails the call).
    // After the locks, READ COMMITTED gives each later statement a fresh snapshot, so a count sees
    // every row committed by the previous holder.
    async lock(trx: Transaction<Database>, lockNames: readonly string[]) {
      for (const name of lockNames) {
        await sql`select pg_advisory_xact_lock(hashtextextended(${name}, 0))`.execute(trx);
      }
    },
  };
}

export function createPostgresStore(options: PostgresStoreOptions): Store {
  return createKyselyStore(createPostgresKysely(options), postgresEngineAdapter(options.schema));
}
