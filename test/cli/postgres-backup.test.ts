// The README's PostgreSQL backup procedure, run as written: pg_dump of a serving installation under
// writes, pg_restore into a new empty database, and a server on the restored database that
// authenticates the old keys, shows the old audit trail, refuses replays of calls answered before the
// dump, and holds exactly the rows the dump's snapshot held.
import { execFile } from 'node:child_process';
import { statSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import pg from 'pg';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { checkScene, makeScene } from '../support/installation-scene.js';
import { startServer, type RunningServer } from '../support/ramkey-server.js';
import { clients, RamModule } from '../support/sdk.js';
import { makeTempDir, type TempDir } from '../support/temp-dir.js';
import { createTestDatabase, describePostgres } from '../support/test-stores.js';

const run = promisify(execFile);

/** Rows per table of the `public` schema, as `client` sees them (inside its transaction, if any). */
async function counts(client: pg.Client): Promise<Record<string, number>> {
  const { rows } = await client.query<{ table_name: string }>(
    "select table_name from information_schema.tables where table_schema = 'public' and table_type = 'BASE TABLE'",
  );
  const result: Record<string, number> = {};
  for (const { table_name: table } of rows) {
    const res = await client.query<{ n: string }>(`select count(*) as n from public."${table}"`);
    result[table] = Number(res.rows[0]?.n);
  }
  return result;
}

await describePostgres('PostgreSQL backup with pg_dump and pg_restore', () => {
  let temp: TempDir;
  let source: RunningServer | undefined;
  let restored: RunningServer | undefined;
  let target: { url: string; drop(): Promise<void> } | undefined;

  beforeAll(async () => {
    temp = await makeTempDir('ramkey-pg-backup-');
  });

  afterAll(async () => {
    await restored?.stop({ keepData: true });
    await target?.drop();
    await source?.stop();
    await temp.cleanup();
  });

  it('restores a dump taken under writes into a new database that serves the same installation', async () => {
    source = await startServer({ engine: 'postgres' });
    const sourceUrl = source.env.RAMKEY_DATABASE_URL ?? '';
    const scene = await makeScene(source);

    const stop = new AbortController();
    let written = 0;
    const { ram } = clients(source.endpoint, scene.admin, 'v3');
    const writer = (async () => {
      while (!stop.signal.aborted) {
        await ram.createUser(new RamModule.CreateUserRequest({ userName: `writer-${String(written)}` }));
        written++;
      }
    })();

    // The rows of the very snapshot pg_dump copies: exported by a transaction held open meanwhile.
    const snapshotHolder = new pg.Client({ connectionString: sourceUrl });
    await snapshotHolder.connect();
    const dump = join(temp.dir, 'ramkey.dump');
    let atDump: Record<string, number>;
    try {
      await snapshotHolder.query('begin isolation level repeatable read');
      const { rows } = await snapshotHolder.query<{ id: string }>('select pg_export_snapshot() as id');
      atDump = await counts(snapshotHolder);
      await run('pg_dump', [
        '--format=custom',
        `--snapshot=${rows[0]?.id ?? ''}`,
        `--file=${dump}`,
        sourceUrl,
      ]);
    } finally {
      await snapshotHolder.end();
    }
    const writtenDuringDump = written;
    stop.abort();
    await writer;
    expect(writtenDuringDump).toBeGreaterThan(0);
    expect(atDump.access_keys).toBe(3);
    expect(atDump.audit_events).toBeGreaterThan(0);
    expect(statSync(dump).size).toBeGreaterThan(0);

    target = await createTestDatabase();
    await run('pg_restore', [
      '--no-owner',
      '--exit-on-error',
      '--single-transaction',
      `--dbname=${target.url}`,
      dump,
    ]);

    const check = new pg.Client({ connectionString: target.url });
    await check.connect();
    try {
      expect(await counts(check)).toEqual({ ...atDump });
    } finally {
      await check.end();
    }

    restored = await startServer({
      reuse: { dataDir: source.dataDir, admin: source.admin },
      env: { RAMKEY_DATABASE_URL: target.url },
    });
    await checkScene(restored, scene);
  });
});
