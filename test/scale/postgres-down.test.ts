// A node whose PostgreSQL is unreachable (behind a relay the test cuts), with Redis up: it keeps
// admitting keys whose entries it has cached (nothing can change them while no write can commit),
// refuses keys it would have to read (fail closed) and every write with ServiceUnavailable, leaves
// nothing half-written, reports the database on /readyz, and serves again once PostgreSQL returns.
import { afterAll, beforeAll, expect, it } from 'vitest';
import { startApp, type RunningApp } from '../support/in-process-server.js';
import { describeScaleOut, TcpRelay, testRedisUrl, uniqueRedisPrefix } from '../support/redis.js';
import { clients, RamModule, sdkError, type Key } from '../support/sdk.js';
import { testDatabaseUrl } from '../support/test-stores.js';

const adminKey = (app: RunningApp): Key => ({ id: app.admin.accessKeyId, secret: app.admin.accessKeySecret });

async function readyz(app: RunningApp): Promise<{ http: number; checks: Record<string, { ok: boolean }> }> {
  const res = await fetch(`http://${app.endpoint}/readyz`);
  const body = (await res.json()) as { checks: Record<string, { ok: boolean }> };
  return { http: res.status, checks: body.checks };
}

await describeScaleOut('a node whose PostgreSQL is unreachable', () => {
  const prefix = uniqueRedisPrefix();
  let healthy: RunningApp;
  let node: RunningApp;
  let relay: TcpRelay;
  let unused: Key;

  beforeAll(async () => {
    healthy = await startApp({ engine: 'postgres', ramkey: { redis: { url: testRedisUrl, prefix } } });
    const database = new URL(testDatabaseUrl);
    relay = new TcpRelay(database.hostname, Number(database.port || 5432));
    await relay.restore();
    node = await startApp({
      reuse: {
        dataDir: healthy.dataDir,
        admin: healthy.admin,
        env: { RAMKEY_DATABASE_URL: relay.url(healthy.env.RAMKEY_DATABASE_URL ?? '') },
        discardData: () => Promise.resolve(),
      },
      ramkey: { redis: { url: testRedisUrl, prefix } },
    });
    const ram = clients(healthy.endpoint, adminKey(healthy), 'v3').ram;
    await ram.createUser(new RamModule.CreateUserRequest({ userName: 'never-seen' }));
    const made = await ram.createAccessKey(new RamModule.CreateAccessKeyRequest({ userName: 'never-seen' }));
    unused = {
      id: made.body?.accessKey?.accessKeyId ?? '',
      secret: made.body?.accessKey?.accessKeySecret ?? '',
    };
  });

  afterAll(async () => {
    await relay.restore().catch(() => undefined);
    await node.stop({ keepData: true });
    await healthy.stop();
    await relay.cut();
  });

  it('serves cached keys, refuses the rest and every write with ServiceUnavailable, and recovers', async () => {
    const asAdmin = clients(node.endpoint, adminKey(node), 'v3');
    // The admin key, its principal and policies are now cached on this node.
    expect((await asAdmin.sts.getCallerIdentity()).body?.accountId).toBe(node.admin.accountId);

    await relay.cut();
    expect((await asAdmin.sts.getCallerIdentity()).body?.accountId).toBe(node.admin.accountId);
    const uncached = await sdkError(clients(node.endpoint, unused, 'v3').sts.getCallerIdentity());
    expect(uncached.code).toBe('ServiceUnavailable');
    expect(uncached.statusCode).toBe(503);
    const write = await sdkError(
      asAdmin.ram.createUser(new RamModule.CreateUserRequest({ userName: 'in-outage' })),
    );
    expect(write.code).toBe('ServiceUnavailable');
    expect(write.statusCode).toBe(503);
    const down = await readyz(node);
    expect(down.http).toBe(503);
    expect(down.checks).toMatchObject({
      database: { ok: false },
      redis: { ok: true },
      changeBus: { ok: true },
    });

    await relay.restore();
    expect((await readyz(node)).http).toBe(200);
    // Nothing of the refused write remains: the user does not exist, and creating it now works.
    const getUser = clients(healthy.endpoint, adminKey(healthy), 'v3').ram.getUser(
      new RamModule.GetUserRequest({ userName: 'in-outage' }),
    );
    expect((await sdkError(getUser)).code).toBe('EntityNotExist.User');
    await asAdmin.ram.createUser(new RamModule.CreateUserRequest({ userName: 'in-outage' }));
    expect((await clients(node.endpoint, unused, 'v3').sts.getCallerIdentity()).body?.accountId).toBe(
      node.admin.accountId,
    );
  });
});
