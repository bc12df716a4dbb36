// copySqliteToPostgres: moves a SQLite installation into an empty PostgreSQL database or schema, row
// for row (sealed secrets as they are: the same master key opens them), in one transaction.
//
// The tables come from the databases themselves, not from a list kept here: every table of the
// SQLite file is copied, and the copy is refused unless PostgreSQL, migrated by the same code, has
// exactly the same tables and columns. A table added by a later migration is therefore copied
// without anyone remembering to add it, and a table that exists on one side only stops the copy.
import { createHash } from 'node:crypto';
import BetterSqlite3 from 'better-sqlite3';
import { sql, type Kysely, type Transaction } from 'kysely';
import type { Database } from '../database.js';
import { MIGRATION_TABLES, sqliteTables } from '../sqlite/sqlite-backup.js';
import { createSqliteStore } from '../sqlite/sqlite-store.js';
import { createPostgresKysely, createPostgresStore, type PostgresStoreOptions } from './postgres-store.js';

export interface CopyProgress {
  table: string;
  copied: number;
  total: number;
}

export interface TableCopy {
  table: string;
  /** Rows in SQLite. */
  source: number;
  /** Rows in PostgreSQL after the copy, counted inside the copy's transaction. */
  target: number;
}

export interface CopyReport {
  /** The PostgreSQL schema the installation now lives in. */
  schema: string;
  /** Every table, in the order copied (referenced tables first). */
  tables: TableCopy[];
  /**
   * An order-independent SHA-256 digest of every AccessKey row (ID, owner, status, state, sealed
   * secret, times), equal on both sides.
   */
  accessKeysDigest: string;
}

export interface CopyOptions {
  /** The SQLite database file. */
  sqliteFile: string;
  /** The target; its schema is created and migrated when missing. */
  postgres: PostgresStoreOptions;
  /** Rows per INSERT (default 1,000; fewer for wide tables, within PostgreSQL's 65,535 parameters). */
  batchRows?: number;
  onProgress?: (progress: CopyProgress) => void;
}

const MAX_PARAMETERS = 65_535;

/** The innermost message of an error and its causes (the migrator wraps the driver's error). */
function rootMessage(error: unknown): string {
  let current = error;
  while (current instanceof Error && current.cause !== undefined) current = current.cause;
  return current instanceof Error ? current.message : String(current);
}

/**
 * Copies the installation in `sqliteFile` into PostgreSQL. Holds the SQLite serving lock throughout
 * (a server on the file is refused at start-up, and the copy refuses to start beside one: its writes
 * after the copy would be lost), migrates both sides to this version, refuses a target that holds any
 * row, copies every table in batches inside one transaction, and commits only when every table's
 * count and the AccessKeys' digest match.
 */
export async function copySqliteToPostgres(options: CopyOptions): Promise<CopyReport> {
  const source = createSqliteStore({ file: options.sqliteFile });
  try {
    await source.migrate();
    // Takes the lock and merges the used nonces' journal into the database, so that they are copied.
    await source.claimNonces();
    const target = createPostgresStore(options.postgres);
    try {
      await target.migrate();
    } catch (error) {
      throw new Error(`cannot prepare the PostgreSQL database: ${rootMessage(error)}`, { cause: error });
    } finally {
      await target.close();
    }
    const raw = new BetterSqlite3(options.sqliteFile, { readonly: true, fileMustExist: true });
    const db = createPostgresKysely({ ...options.postgres, maxConnections: 1 });
    try {
      // One read transaction: every count and row comes from the same state of the file.
      raw.exec('begin');
      try {
        return await copy(raw, db, options);
      } finally {
        raw.exec('commit');
      }
    } finally {
      raw.close();
      await db.destroy();
    }
  } finally {
    await source.close();
  }
}

async function copy(
  raw: BetterSqlite3.Database,
  db: Kysely<Database>,
  options: CopyOptions,
): Promise<CopyReport> {
  const schema = await currentSchema(db);
  const sourceColumns = new Map(sqliteTables(raw).map((t) => [t, sqliteColumns(raw, t)]));
  const targetColumns = await postgresColumns(db);
  checkSameShape(sourceColumns, targetColumns);

  const occupied: string[] = [];
  for (const table of targetColumns.keys()) {
    const rows = await count(db, table);
    if (rows > 0) occupied.push(`${table}: ${String(rows)}`);
  }
  if (occupied.length > 0) {
    throw new Error(
      `the PostgreSQL schema "${schema}" already holds data (${occupied.join(', ')}): ` +
        'migrate into an empty database or schema',
    );
  }

  const order = copyOrder([...sourceColumns.keys()], await foreignKeys(db));
  return db.transaction().execute(async (trx) => {
    const tables: TableCopy[] = [];
    for (const table of order) {
      const columns = sourceColumns.get(table) ?? [];
      const total =
        raw
          .prepare<[], number>(`select count(*) from ${quoteId(table)}`)
          .pluck()
          .get() ?? 0;
      await copyTable(raw, trx, table, columns, total, options);
      const copied = await count(trx, table);
      if (copied !== total) {
        throw new Error(`${table}: ${String(total)} rows in SQLite but ${String(copied)} in PostgreSQL`);
      }
      tables.push({ table, source: total, target: copied });
    }
    const keyColumns = sourceColumns.get('access_keys') ?? [];
    const sourceDigest = digest(
      raw
        .prepare<[], unknown[]>(`select ${keyColumns.map(quoteId).join(', ')} from access_keys`)
        .raw()
        .iterate(),
    );
    const { rows } = await sql<Record<string, unknown>>`select ${sql.join(
      keyColumns.map((c) => sql.id(c)),
    )} from access_keys`.execute(trx);
    const targetDigest = digest(rows.map((row) => keyColumns.map((c) => row[c])));
    if (sourceDigest !== targetDigest) {
      throw new Error('the AccessKeys in PostgreSQL differ from those in SQLite (digest mismatch)');
    }
    return { schema, tables, accessKeysDigest: targetDigest };
  });
}

async function copyTable(
  raw: BetterSqlite3.Database,
  trx: Transaction<Database>,
  table: string,
  columns: readonly string[],
  total: number,
  options: CopyOptions,
): Promise<void> {
  const batchRows = Math.max(
    1,
    Math.min(options.batchRows ?? 1000, Math.floor(MAX_PARAMETERS / Math.max(1, columns.length))),
  );
  const insert = (rows: readonly unknown[][]) =>
    sql`insert into ${sql.id(table)} (${sql.join(columns.map((c) => sql.id(c)))}) values ${sql.join(
      rows.map((row) => sql`(${sql.join(row)})`),
    )}`.execute(trx);
  let copied = 0;
  let batch: unknown[][] = [];
  const flush = async () => {
    try {
      await insert(batch);
    } catch (error) {
      throw new Error(
        `copying ${table} failed at rows ${String(copied + 1)}-${String(copied + batch.length)}: ${rootMessage(error)}`,
        { cause: error },
      );
    }
    copied += batch.length;
    batch = [];
    options.onProgress?.({ table, copied, total });
  };
  const rows = raw
    .prepare<[], unknown[]>(`select ${columns.map(quoteId).join(', ')} from ${quoteId(table)}`)
    .raw()
    .iterate();
  for (const row of rows) {
    batch.push(row);
    if (batch.length === batchRows) await flush();
  }
  if (batch.length > 0) await flush();
}

function quoteId(name: string): string {
  return `"${name.replaceAll('"', '""')}"`;
}

function sqliteColumns(raw: BetterSqlite3.Database, table: string): string[] {
  return raw
    .prepare<[], { name: string }>(`pragma table_info(${quoteId(table)})`)
    .all()
    .map((c) => c.name);
}

async function currentSchema(db: Kysely<Database>): Promise<string> {
  const { rows } = await sql<{ schema: string | null }>`select current_schema() as schema`.execute(db);
  const schema = rows[0]?.schema ?? null;
  if (schema === null) throw new Error('the PostgreSQL search_path names no existing schema');
  return schema;
}

/** Ramkey's tables in the current schema, with their columns. */
async function postgresColumns(db: Kysely<Database>): Promise<Map<string, string[]>> {
  const { rows } = await sql<{ table: string; column: string }>`
    select c.table_name as table, c.column_name as column
    from information_schema.columns c
    join information_schema.tables t on t.table_schema = c.table_schema and t.table_name = c.table_name
    where c.table_schema = current_schema() and t.table_type = 'BASE TABLE'
    order by c.table_name, c.ordinal_position`.execute(db);
  const tables = new Map<string, string[]>();
  for (const { table, column } of rows) {
    if (MIGRATION_TABLES.includes(table)) continue;
    const columns = tables.get(table) ?? [];
    columns.push(column);
    tables.set(table, columns);
  }
  return tables;
}

function checkSameShape(source: Map<string, string[]>, target: Map<string, string[]>): void {
  const onlyIn = (a: Map<string, string[]>, b: Map<string, string[]>) =>
    [...a.keys()].filter((t) => !b.has(t));
  const sourceOnly = onlyIn(source, target);
  const targetOnly = onlyIn(target, source);
  if (sourceOnly.length > 0 || targetOnly.length > 0) {
    throw new Error(
      'the SQLite and PostgreSQL schemas differ: ' +
        `tables only in SQLite: ${sourceOnly.join(', ') || '(none)'}; ` +
        `only in PostgreSQL: ${targetOnly.join(', ') || '(none)'}`,
    );
  }
  for (const [table, columns] of source) {
    const other = new Set(target.get(table));
    if (columns.length !== other.size || columns.some((c) => !other.has(c))) {
      throw new Error(`the SQLite and PostgreSQL schemas differ: the columns of ${table} are not the same`);
    }
  }
}

/** Pairs (table, table it references) of the current schema's foreign keys. */
async function foreignKeys(db: Kysely<Database>): Promise<[string, string][]> {
  const { rows } = await sql<{ table: string; references: string }>`
    select src.relname as table, dst.relname as references
    from pg_constraint k
    join pg_class src on src.oid = k.conrelid
    join pg_class dst on dst.oid = k.confrelid
    where k.contype = 'f' and k.connamespace = current_schema()::regnamespace`.execute(db);
  return rows.map((r) => [r.table, r.references]);
}

/** The tables in name order, each after every table it references (a foreign key's row exists first). */
function copyOrder(tables: readonly string[], references: readonly [string, string][]): string[] {
  const order: string[] = [];
  const visiting = new Set<string>();
  const visit = (table: string) => {
    if (order.includes(table)) return;
    if (visiting.has(table)) throw new Error(`foreign keys form a cycle through ${table}`);
    visiting.add(table);
    for (const [from, to] of references) if (from === table && to !== table) visit(to);
    visiting.delete(table);
    order.push(table);
  };
  for (const table of [...tables].sort()) visit(table);
  return order;
}

async function count(db: Kysely<Database> | Transaction<Database>, table: string): Promise<number> {
  const { rows } = await sql<{ n: number }>`select count(*) as n from ${sql.id(table)}`.execute(db);
  return rows[0]?.n ?? 0;
}

/**
 * An order-independent digest of rows: the sum, modulo 2^64, of the first 8 bytes of each row's
 * SHA-256 (bytes as hex, numbers and text as such, null as null), so SQLite and PostgreSQL may return
 * the rows in different orders.
 */
function digest(rows: Iterable<unknown[]>): string {
  let sum = 0n;
  for (const row of rows) {
    const text = JSON.stringify(row.map((v) => (Buffer.isBuffer(v) ? `hex:${v.toString('hex')}` : v)));
    sum = (sum + createHash('sha256').update(text).digest().readBigUInt64BE(0)) & 0xffffffffffffffffn;
  }
  return sum.toString(16).padStart(16, '0');
}
