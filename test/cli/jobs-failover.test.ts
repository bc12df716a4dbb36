// Two real `ramkey serve` processes on one PostgreSQL installation (a schema of its own in the test
// database, RAMKEY_DATABASE_SCHEMA): exactly one runs the background jobs (it purges a key past its
// DeleteDate, the other never does), and when it is killed with SIGKILL the other takes the jobs over
// and purges what falls due after the kill; a node that shuts down cleanly gives the lease up.
import { randomBytes } from 'node:crypto';
import { sql, type Kysely } from 'kysely';
import { afterAll, beforeAll, expect, it, vi } from 'vitest';
import type { Database } from '../../src/store/database.js';
import { createPostgresKysely } from '../../src/store/postgres/postgres-store.js';
import { startServer, type RunningServer } from '../support/ramkey-server.js';
import { clients, RamModule, type Key } from '../support/sdk.js';
import { describePostgres, testDatabaseUrl } from '../support/test-stores.js';

const LEASE_MS = 3000;
const RUNS = 'this node runs the background jobs';
const STANDS_BY = 'another node runs the background jobs: this one stands by';
const PURGED = 'purged AccessKeys and users past their recycle bin DeleteDate';

/** The server's JSON log lines with this message. */
function logged(server: RunningServer, message: string): Record<string, unknown>[] {
  return server.logs
    .filter((line) => line.startsWith('{'))
    .map((line) => JSON.parse(line) as Record<string, unknown>)
    .filter((entry) => entry.msg === message);
}

await describePostgres('background jobs on two nodes', () => {
  const schema = `ramkey_jobs_${randomBytes(6).toString('hex')}`;
  const env = {
    RAMKEY_DATABASE_URL: testDatabaseUrl,
    RAMKEY_DATABASE_SCHEMA: schema,
    RAMKEY_JOB_LEASE_MS: String(LEASE_MS),
    RAMKEY_MAINTENANCE_INTERVAL_MS: '1000',
    RAMKEY_LOG_LEVEL: 'info',
  };
  let first: RunningServer;
  let second: RunningServer;
  let third: RunningServer | undefined;
  let db: Kysely<Database>;
  let admin: Key;

  beforeAll(async () => {
    first = await startServer({ env });
    second = await startServer({ env, reuse: { dataDir: first.dataDir, admin: first.admin } });
    db = createPostgresKysely({ url: testDatabaseUrl, schema, maxConnections: 1 });
    admin = { id: first.admin.accessKeyId, secret: first.admin.accessKeySecret };
  });

  afterAll(async () => {
    await third?.stop({ keepData: true });
    await second.stop({ keepData: true });
    await first.stop();
    await sql`drop schema if exists ${sql.id(schema)} cascade`.execute(db);
    await db.destroy();
  });

  /** A key of a new user, deleted into the recycle bin through `server`; its DeleteDate is 30 days on. */
  async function binnedKey(server: RunningServer, userName: string): Promise<string> {
    const { ram } = clients(server.endpoint, admin, 'v3');
    await ram.createUser(new RamModule.CreateUserRequest({ userName }));
    const made = await ram.createAccessKey(new RamModule.CreateAccessKeyRequest({ userName }));
    const accessKeyId = made.body?.accessKey?.accessKeyId ?? '';
    await ram.deleteAccessKey(
      new RamModule.DeleteAccessKeyRequest({ userName, userAccessKeyId: accessKeyId }),
    );
    return accessKeyId;
  }

  /** Moves the key's DeleteDate into the past, as 30 days would. */
  async function makeDue(accessKeyId: string): Promise<void> {
    const moved = await db
      .updateTable('access_keys')
      .set({ purge_at: Date.now() - 1000 })
      .where('access_key_id', '=', accessKeyId)
      .where('state', '=', 'recycled')
      .executeTakeFirst();
    expect(Number(moved.numUpdatedRows)).toBe(1);
  }

  async function state(accessKeyId: string): Promise<string | undefined> {
    const row = await db
      .selectFrom('access_keys')
      .select('state')
      .where('access_key_id', '=', accessKeyId)
      .executeTakeFirst();
    return row?.state;
  }

  it('runs the jobs on one node only, and on the other once that one is killed', async () => {
    // Exactly one node runs the jobs; the other stands by.
    await vi.waitFor(
      () => {
        expect(logged(first, RUNS).length + logged(second, RUNS).length).toBe(1);
        expect(logged(first, STANDS_BY).length + logged(second, STANDS_BY).length).toBe(1);
      },
      { timeout: 10_000, interval: 100 },
    );
    const [runner, standby] = logged(first, RUNS).length === 1 ? [first, second] : [second, first];
    const runnerId = logged(runner, RUNS)[0]?.nodeId;
    expect(runnerId).toEqual(logged(runner, 'Ramkey is serving')[0]?.nodeId);

    // Keys past their DeleteDate, one after another: the runner purges each (its log says so), the
    // node standing by none.
    for (let i = 1; i <= 3; i++) {
      const due = await binnedKey(standby, `jobs-early-${String(i)}`);
      await makeDue(due);
      await vi.waitFor(
        async () => {
          expect(await state(due)).toBe('purged');
        },
        { timeout: 10_000, interval: 100 },
      );
      await vi.waitFor(() => {
        expect(logged(runner, PURGED)).toHaveLength(i);
      });
    }
    expect(logged(runner, PURGED).every((entry) => entry.keys === 1 && entry.users === 0)).toBe(true);
    // Several maintenance intervals and lease renewals later, still only the runner.
    await new Promise((resolve) => setTimeout(resolve, 2 * LEASE_MS));
    expect(logged(standby, PURGED)).toEqual([]);
    expect(logged(standby, RUNS)).toEqual([]);
    expect(logged(runner, 'this node stopped running the background jobs')).toEqual([]);

    // The runner dies without a word; a key falls due after its death, so only the other can purge it.
    const late = await binnedKey(standby, 'jobs-late');
    runner.process.kill('SIGKILL');
    await new Promise((resolve) => runner.process.once('exit', resolve));
    await makeDue(late);
    await vi.waitFor(
      async () => {
        expect(await state(late)).toBe('purged');
      },
      { timeout: 4 * LEASE_MS, interval: 200 },
    );
    // The purge commits before its log lines reach this process through the pipe.
    await vi.waitFor(() => {
      expect(logged(standby, RUNS)).toHaveLength(1);
      expect(logged(standby, PURGED)).toEqual([expect.objectContaining({ keys: 1, users: 0 })]);
    });
    const takeover = logged(standby, RUNS);
    expect(takeover[0]?.nodeId).not.toEqual(runnerId);
    const lease = await db
      .selectFrom('job_leases')
      .selectAll()
      .where('job_name', '=', 'background-jobs')
      .execute();
    expect(lease.map((l) => l.holder)).toEqual([takeover[0]?.nodeId]);

    // A third node joins; the runner shuts down cleanly, giving the lease up, and the third takes over.
    third = await startServer({ env, reuse: { dataDir: first.dataDir, admin: first.admin } });
    const joined = third;
    await vi.waitFor(() => {
      expect(logged(joined, STANDS_BY)).toHaveLength(1);
    });
    expect(await standby.stop({ keepData: true })).toBe(0);
    expect(logged(standby, 'this node stopped running the background jobs (shutting down)')).toEqual([
      expect.objectContaining({ nodeId: takeover[0]?.nodeId, released: true }),
    ]);
    await vi.waitFor(
      () => {
        expect(logged(joined, RUNS)).toHaveLength(1);
      },
      { timeout: 4 * LEASE_MS, interval: 100 },
    );
  });
});
