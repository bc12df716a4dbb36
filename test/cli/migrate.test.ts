// `ramkey migrate --to postgres://...` as an operator runs it: a SQLite installation that served keys
// moves into a fresh PostgreSQL schema, every table row for row, and a server on PostgreSQL then
// authenticates the old keys, shows the old audit trail and refuses replays of calls answered before
// the move. A target that holds data is refused, and a copy that fails leaves the target empty.
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import BetterSqlite3 from 'better-sqlite3';
import pg from 'pg';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { checkScene, makeScene } from '../support/installation-scene.js';
import { runCli, startServer, type RunningServer } from '../support/ramkey-server.js';
import { makeTempDir, type TempDir } from '../support/temp-dir.js';
import { describePostgres, testDatabaseUrl } from '../support/test-stores.js';

interface Report {
  Schema: string;
  Target: string;
  Tables: { Table: string; SqliteRows: number; PostgresRows: number }[];
  AccessKeysDigest: string;
  MasterKey: string;
}

const MIGRATION_TABLES = ['ramkey_migration', 'ramkey_migration_lock'];

function expectRefusal(res: { code: number; stderr: string; stdout: string }, message: RegExp): void {
  expect(res.code, res.stdout).toBe(1);
  expect(res.stderr).toMatch(message);
  expect(res.stderr).not.toMatch(/\n\s+at /);
}

/** The test database's URL with a password in it (trust authentication ignores it). */
function urlWithPassword(password: string): string {
  const url = new URL(testDatabaseUrl);
  url.password = password;
  return url.toString();
}

/** The URL a server uses to find Ramkey's tables in `schema`. */
function urlForSchema(schema: string): string {
  return `${testDatabaseUrl}?options=${encodeURIComponent(`-c search_path=${schema}`)}`;
}

/** Rows per Ramkey table of a SQLite file, counted here and not by the command under test. */
function sqliteCounts(file: string): Record<string, number> {
  const db = new BetterSqlite3(file, { readonly: true });
  try {
    const tables = db
      .prepare<[], string>("select name from sqlite_master where type = 'table' and name not like 'sqlite_%'")
      .pluck()
      .all()
      .filter((t) => !MIGRATION_TABLES.includes(t));
    return Object.fromEntries(
      tables.map((t) => [t, db.prepare<[], number>(`select count(*) from "${t}"`).pluck().get() ?? -1]),
    );
  } finally {
    db.close();
  }
}

await describePostgres('ramkey migrate: SQLite to PostgreSQL', () => {
  let temp: TempDir;
  let admin: pg.Client;
  const schemas: string[] = [];
  const servers: RunningServer[] = [];

  /** A fresh schema name of this run (created by the migration), dropped at the end. */
  const freshSchema = () => {
    const schema = `ramkey_migrate_${randomBytes(5).toString('hex')}`;
    schemas.push(schema);
    return schema;
  };

  /** Rows per Ramkey table of a PostgreSQL schema. */
  async function postgresCounts(schema: string): Promise<Record<string, number>> {
    const { rows } = await admin.query<{ table_name: string }>(
      "select table_name from information_schema.tables where table_schema = $1 and table_type = 'BASE TABLE'",
      [schema],
    );
    const counts: Record<string, number> = {};
    for (const { table_name: table } of rows) {
      if (MIGRATION_TABLES.includes(table)) continue;
      const res = await admin.query<{ n: string }>(`select count(*) as n from "${schema}"."${table}"`);
      counts[table] = Number(res.rows[0]?.n);
    }
    return counts;
  }

  beforeAll(async () => {
    temp = await makeTempDir('ramkey-migrate-');
    admin = new pg.Client({ connectionString: testDatabaseUrl });
    await admin.connect();
  });

  afterAll(async () => {
    for (const server of servers) await server.stop();
    for (const schema of schemas) await admin.query(`drop schema if exists "${schema}" cascade`);
    await admin.end();
    await temp.cleanup();
  });

  it('moves a served installation; on PostgreSQL the old keys, audit trail and used nonces hold', async () => {
    const sqlite = await startServer();
    servers.push(sqlite);
    const scene = await makeScene(sqlite);
    const schema = freshSchema();
    const password = `pw-${randomBytes(6).toString('hex')}`;
    const args = ['migrate', '--to', urlWithPassword(password), '--schema', schema, '--data', sqlite.dataDir];

    // Writes after the copy would be lost: not beside a running server.
    expectRefusal(await runCli(args), /A Ramkey server is running on .*: stop it first/);
    await sqlite.stop({ keepData: true });

    const moved = await runCli([...args, '--json']);
    expect(moved.code, moved.stderr).toBe(0);
    expect(moved.stdout + moved.stderr).not.toContain(password);
    const report = JSON.parse(moved.stdout) as Report;
    expect(report.Schema).toBe(schema);
    expect(report.Target).toContain('***@');
    expect(report.MasterKey).toBe(join(sqlite.dataDir, 'master.key'));

    // Every table of the SQLite file, no more and no fewer, is in the report and in PostgreSQL, with
    // the same rows: a table a later migration adds cannot be left behind unnoticed.
    const before = sqliteCounts(join(sqlite.dataDir, 'ramkey.db'));
    const after = await postgresCounts(schema);
    const reported = Object.fromEntries(report.Tables.map((t) => [t.Table, t.SqliteRows]));
    expect(Object.keys(reported).sort()).toEqual(Object.keys(before).sort());
    expect(reported).toEqual(before);
    expect(after).toEqual(before);
    expect(report.Tables.every((t) => t.SqliteRows === t.PostgresRows)).toBe(true);
    expect(before.access_keys).toBe(3);
    expect(before.audit_events).toBeGreaterThan(0);
    // Referenced tables first: an account before its users and keys.
    const order = report.Tables.map((t) => t.Table);
    expect(order.indexOf('accounts')).toBeLessThan(order.indexOf('users'));
    expect(order.indexOf('accounts')).toBeLessThan(order.indexOf('access_keys'));
    expect(report.AccessKeysDigest).toMatch(/^[0-9a-f]{16}$/);

    // Sealed secrets as they were: byte for byte.
    const sealed = new BetterSqlite3(join(sqlite.dataDir, 'ramkey.db'), { readonly: true });
    const sqliteSealed = sealed
      .prepare<[], { access_key_id: string; sealed_secret: string }>(
        'select access_key_id, sealed_secret from access_keys order by access_key_id',
      )
      .all();
    sealed.close();
    const pgSealed = await admin.query(
      `select access_key_id, sealed_secret from "${schema}".access_keys order by access_key_id collate "C"`,
    );
    expect(pgSealed.rows).toEqual(sqliteSealed);

    const onPostgres = await startServer({
      reuse: { dataDir: sqlite.dataDir, admin: sqlite.admin },
      env: { RAMKEY_DATABASE_URL: urlForSchema(schema) },
    });
    servers.push(onPostgres);
    expect(onPostgres.logs.join('\n')).toContain('"store":"postgres"');
    await checkScene(onPostgres, scene);
  });

  it('refuses a target that holds data, and a copy that fails leaves the target empty', async () => {
    const dir = join(temp.dir, 'second');
    const init = await runCli(['init', '--data', dir]);
    expect(init.code, init.stderr).toBe(0);
    const schema = freshSchema();
    const first = await runCli(['migrate', '--to', testDatabaseUrl, '--schema', schema, '--data', dir]);
    expect(first.code, first.stderr).toBe(0);
    const counts = await postgresCounts(schema);
    expectRefusal(
      await runCli(['migrate', '--to', testDatabaseUrl, '--schema', schema, '--data', dir]),
      /the PostgreSQL schema "ramkey_migrate_\w+" already holds data \(.*accounts: 1.*\): migrate into an empty/,
    );
    expect(await postgresCounts(schema)).toEqual(counts);

    // A row PostgreSQL cannot take (text with a NUL character, which SQLite stores) fails the copy
    // after the tables before it were copied: the transaction takes them all back.
    const db = new BetterSqlite3(join(dir, 'ramkey.db'));
    db.prepare(
      `insert into audit_events (event_id, event_time, account_id, access_key_id, principal_type,
         principal_id, user_name, event_name, event_rw, service_name, api_version, event_source,
         request_id, source_ip, user_agent, error_code, error_message, request_parameters, call_count,
         access_key_policy_audit)
       values ('odd', 1, null, '', '', '', '', 'ListUsers', 'Read', 'Ram', '2015-05-01', '', '', '',
         ?, '', '', '{}', 1, '')`,
    ).run('nul\u0000agent');
    db.close();
    const target = freshSchema();
    const failed = await runCli(['migrate', '--to', testDatabaseUrl, '--schema', target, '--data', dir]);
    expectRefusal(failed, /copying audit_events failed at rows 1-\d+: invalid byte sequence/);
    const empty = await postgresCounts(target);
    expect(Object.keys(empty).length).toBeGreaterThan(20);
    expect(Object.values(empty).every((n) => n === 0)).toBe(true);

    // Fixed, the same target takes it, and the command says how to serve from it.
    const fix = new BetterSqlite3(join(dir, 'ramkey.db'));
    fix.prepare("delete from audit_events where event_id = 'odd'").run();
    fix.close();
    const retry = await runCli(['migrate', '--to', testDatabaseUrl, '--schema', target, '--data', dir]);
    expect(retry.code, retry.stderr).toBe(0);
    expect(retry.stdout).toMatch(/^Table\s+SQLite rows\s+PostgreSQL rows$/m);
    expect(retry.stdout).toMatch(/^accounts\s+1\s+1$/m);
    expect(retry.stdout).toContain(
      `RAMKEY_DATABASE_URL='${urlForSchema(target)}' ramkey serve --data ${dir}`,
    );
    expect((await postgresCounts(target)).accounts).toBe(1);
  });

  it('refuses what is not a PostgreSQL target, an unreachable one, and an installation on PostgreSQL', async () => {
    const dir = join(temp.dir, 'third');
    expect((await runCli(['init', '--data', dir])).code).toBe(0);
    expectRefusal(
      await runCli(['migrate', '--to', 'mysql://127.0.0.1/ramkey', '--data', dir]),
      /--to must be a postgres:\/\/ or postgresql:\/\/ URL/,
    );
    expectRefusal(
      await runCli(['migrate', '--to', 'postgres://127.0.0.1:1/ramkey', '--data', dir]),
      /cannot prepare the PostgreSQL database: connect ECONNREFUSED 127\.0\.0\.1:1/,
    );
    expectRefusal(
      await runCli(['migrate', '--to', testDatabaseUrl, '--schema', 'Not-A-Name', '--data', dir]),
      /invalid PostgreSQL schema name "Not-A-Name"/,
    );
    expectRefusal(
      await runCli(['migrate', '--to', testDatabaseUrl, '--data', join(temp.dir, 'none')]),
      /No Ramkey installation in .*none/,
    );
    expectRefusal(
      await runCli(['migrate', '--to', testDatabaseUrl, '--data', dir], {
        RAMKEY_DATABASE_URL: testDatabaseUrl,
      }),
      /already lives in PostgreSQL.*unset RAMKEY_DATABASE_URL/,
    );
    expect((await runCli(['migrate', '--data', dir])).code).toBe(2);
  });
});
