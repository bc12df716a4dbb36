// The change bus over Redis pub/sub: nodes on one PostgreSQL database and one Redis apply each
// other's changes within a second (a disabled key, a permission), and a node that loses its
// subscription never serves from a cache it cannot keep fresh: it empties and bypasses every cache
// until subscribed again, then empties them once more.
import type { Redis } from 'ioredis';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Change } from '../../src/services/change-bus.js';
import { RedisChangeBus } from '../../src/services/scale/redis-change-bus.js';
import { closeRedis, openRedis } from '../../src/services/scale/redis-connection.js';
import { RedisNonceStore } from '../../src/services/scale/redis-nonce-store.js';
import { startApp, type RunningApp } from '../support/in-process-server.js';
import { adminRedis, describeScaleOut, TcpRelay, testRedisUrl, uniqueRedisPrefix } from '../support/redis.js';
import { clients, RamModule, sdkError, type Key } from '../support/sdk.js';

/** Polls `probe` every 20 ms until it is true; fails after `ms`. */
async function eventually(probe: () => Promise<boolean>, ms: number): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await probe())) {
    if (Date.now() > deadline) throw new Error(`not so within ${String(ms)} ms`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

const adminKey = (app: RunningApp): Key => ({ id: app.admin.accessKeyId, secret: app.admin.accessKeySecret });

/** A RAM user made through `app`, with an AccessKey and the system policy if named. */
async function userWithKey(app: RunningApp, userName: string, policyName?: string): Promise<Key> {
  const ram = clients(app.endpoint, adminKey(app), 'v3').ram;
  await ram.createUser(new RamModule.CreateUserRequest({ userName }));
  if (policyName !== undefined) {
    await ram.attachPolicyToUser(
      new RamModule.AttachPolicyToUserRequest({ userName, policyName, policyType: 'System' }),
    );
  }
  const created = await ram.createAccessKey(new RamModule.CreateAccessKeyRequest({ userName }));
  return {
    id: created.body?.accessKey?.accessKeyId ?? '',
    secret: created.body?.accessKey?.accessKeySecret ?? '',
  };
}

/** 'OK', or the code `key`'s GetCallerIdentity on `app` was refused with. */
async function whoAmI(app: RunningApp, key: Key): Promise<string> {
  try {
    await clients(app.endpoint, key, 'v3').sts.getCallerIdentity();
    return 'OK';
  } catch (err) {
    return (err as { code: string }).code;
  }
}

async function readyz(app: RunningApp): Promise<{ http: number; checks: Record<string, { ok: boolean }> }> {
  const res = await fetch(`http://${app.endpoint}/readyz`);
  const body = (await res.json()) as { checks: Record<string, { ok: boolean }> };
  return { http: res.status, checks: body.checks };
}

/** The IDs of the bus connections Redis has for `prefix`'s nodes (CLIENT LIST names them). */
async function busConnections(redis: Redis, prefix: string): Promise<string[]> {
  const list = (await redis.client('LIST')) as string;
  return list
    .split('\n')
    .filter((line) => line.includes(` name=ramkey-bus@${prefix} `))
    .map((line) => /\bid=(\d+)/.exec(line)?.[1] ?? '');
}

await describeScaleOut('the change bus over Redis', () => {
  const prefix = uniqueRedisPrefix();
  const admin = adminRedis();
  let a: RunningApp;
  let b: RunningApp;
  let db: pg.Client;

  /** Sets a key's status underneath the services: no change is published, as by a missed message. */
  async function setStatusUnderneath(key: Key, status: 'Active' | 'Inactive'): Promise<void> {
    await db.query('update access_keys set status = $1 where access_key_id = $2', [status, key.id]);
  }

  beforeAll(async () => {
    a = await startApp({ engine: 'postgres', ramkey: { redis: { url: testRedisUrl, prefix } } });
    b = await startApp({
      engine: 'postgres',
      reuse: a,
      ramkey: { redis: { url: testRedisUrl, prefix } },
    });
    await admin.connect();
    db = new pg.Client({ connectionString: a.env.RAMKEY_DATABASE_URL });
    await db.connect();
    await eventually(async () => (await readyz(a)).http === 200 && (await readyz(b)).http === 200, 5000);
  });

  afterAll(async () => {
    await db.end();
    await b.stop({ keepData: true });
    await a.stop();
    const keys = await admin.keys(`${prefix}*`);
    if (keys.length > 0) await admin.del(...keys);
    admin.disconnect();
  });

  it('refuses on B within a second a key disabled on A, which B had cached', async () => {
    const key = await userWithKey(a, 'disabled-on-a');
    expect(await whoAmI(b, key)).toBe('OK');
    await clients(a.endpoint, adminKey(a), 'v3').ram.updateAccessKey(
      new RamModule.UpdateAccessKeyRequest({
        userName: 'disabled-on-a',
        userAccessKeyId: key.id,
        status: 'Inactive',
      }),
    );
    await eventually(async () => (await whoAmI(b, key)) === 'InvalidAccessKeyId.Inactive', 1000);
    // B measured each delivery's lag, from A's publish to its own receipt, for its /metrics.
    const metrics = await (await fetch(`http://${b.endpoint}/metrics`)).text();
    const count = /^ramkey_change_bus_lag_seconds_count (\d+)$/m.exec(metrics)?.[1];
    expect(Number(count)).toBeGreaterThan(0);
  });

  it('applies on B within a second a permission granted, then taken, on A', async () => {
    const key = await userWithKey(a, 'granted-on-a');
    const listUsers = () => clients(b.endpoint, key, 'v3').ram.listUsers(new RamModule.ListUsersRequest({}));
    expect((await sdkError(listUsers())).code).toBe('NoPermission');
    const ram = clients(a.endpoint, adminKey(a), 'v3').ram;
    const grant = { userName: 'granted-on-a', policyName: 'AliyunRAMReadOnlyAccess', policyType: 'System' };
    await ram.attachPolicyToUser(new RamModule.AttachPolicyToUserRequest(grant));
    await eventually(
      () =>
        listUsers().then(
          () => true,
          () => false,
        ),
      1000,
    );
    await ram.detachPolicyFromUser(new RamModule.DetachPolicyFromUserRequest(grant));
    await eventually(
      () =>
        listUsers().then(
          () => false,
          () => true,
        ),
      1000,
    );
    expect((await sdkError(listUsers())).code).toBe('NoPermission');
  });

  it('resubscribes after its subscriber connection is killed, and drops what it cached before', async () => {
    const key = await userWithKey(a, 'killed-bus');
    expect(await whoAmI(b, key)).toBe('OK');
    const before = await busConnections(admin, prefix);
    expect(before).toHaveLength(2);
    for (const id of before) await admin.client('KILL', 'ID', id);
    await eventually(async () => {
      const now = await busConnections(admin, prefix);
      return now.length === 2 && now.every((id) => !before.includes(id));
    }, 5000);
    await eventually(async () => (await readyz(b)).http === 200, 5000);
    // A change B was never told of: had B kept its cached key, it would still serve it.
    await setStatusUnderneath(key, 'Inactive');
    expect(await whoAmI(b, key)).toBe('InvalidAccessKeyId.Inactive');
  });

  describe('a node whose subscription is cut while its commands still reach Redis', () => {
    let relay: TcpRelay;
    let commands: Redis;
    let subscriber: Redis;
    let bus: RedisChangeBus;
    let c: RunningApp;

    beforeAll(async () => {
      relay = await TcpRelay.forRedis();
      commands = openRedis(testRedisUrl, 'commands', prefix, () => undefined);
      subscriber = openRedis(relay.url(testRedisUrl), 'bus', prefix, () => undefined);
      bus = new RedisChangeBus({
        publisher: commands,
        subscriber,
        channel: `${prefix}changes`,
        nodeId: 'node-c',
      });
      c = await startApp({
        engine: 'postgres',
        reuse: a,
        ramkey: {
          nonces: new RedisNonceStore(commands, {
            prefix,
            now: () => Date.now(),
            firstUse: () => Promise.resolve(true),
          }),
          changes: bus,
        },
      });
      await eventually(async () => (await readyz(c)).http === 200, 5000);
    });

    afterAll(async () => {
      await c.stop({ keepData: true });
      await bus.close();
      await Promise.all([closeRedis(commands), closeRedis(subscriber)]);
      await relay.cut();
    });

    it('reads every lookup from the database until subscribed again, then caches anew', async () => {
      const key = await userWithKey(a, 'cut-bus');
      expect(await whoAmI(c, key)).toBe('OK');

      await relay.cut();
      await eventually(async () => (await readyz(c)).checks.changeBus?.ok === false, 5000);
      // Stale: nothing is served from the cache, so a change no message announced is in force at once.
      await setStatusUnderneath(key, 'Inactive');
      expect(await whoAmI(c, key)).toBe('InvalidAccessKeyId.Inactive');
      await setStatusUnderneath(key, 'Active');
      expect(await whoAmI(c, key)).toBe('OK');
      // A permission granted and taken on A, whose messages C does not hear, is in force on C at once.
      const listUsers = () =>
        clients(c.endpoint, key, 'v3').ram.listUsers(new RamModule.ListUsersRequest({}));
      expect((await sdkError(listUsers())).code).toBe('NoPermission');
      const ram = clients(a.endpoint, adminKey(a), 'v3').ram;
      const grant = { userName: 'cut-bus', policyName: 'AliyunRAMReadOnlyAccess', policyType: 'System' };
      await ram.attachPolicyToUser(new RamModule.AttachPolicyToUserRequest(grant));
      expect((await listUsers()).statusCode).toBe(200);
      await ram.detachPolicyFromUser(new RamModule.DetachPolicyFromUserRequest(grant));
      expect((await sdkError(listUsers())).code).toBe('NoPermission');

      await relay.restore();
      await eventually(async () => (await readyz(c)).http === 200, 5000);
      expect(await whoAmI(c, key)).toBe('OK');
      // Fresh again: the cache serves (and only a published change drops an entry).
      await setStatusUnderneath(key, 'Inactive');
      expect(await whoAmI(c, key)).toBe('OK');
    });
  });
});

await describeScaleOut('RedisChangeBus', () => {
  const prefix = uniqueRedisPrefix();
  const channel = `${prefix}changes`;
  const change: Change = { kind: 'permissions', accountId: '1234567890123456' };
  const connections: Redis[] = [];
  const buses: RedisChangeBus[] = [];

  function connection(url: string, kind: 'commands' | 'bus'): Redis {
    const redis = openRedis(url, kind, prefix, () => undefined);
    connections.push(redis);
    return redis;
  }

  function node(
    nodeId: string,
    publisherUrl = testRedisUrl,
    onError?: (err: unknown) => void,
  ): RedisChangeBus {
    const bus = new RedisChangeBus({
      publisher: connection(publisherUrl, 'commands'),
      subscriber: connection(testRedisUrl, 'bus'),
      channel,
      nodeId,
      ...(onError && { onError }),
    });
    buses.push(bus);
    return bus;
  }

  async function fresh(bus: RedisChangeBus): Promise<void> {
    await eventually(() => Promise.resolve(bus.fresh), 5000);
  }

  afterAll(async () => {
    await Promise.all(buses.map((bus) => bus.close()));
    await Promise.all(connections.map(closeRedis));
  });

  it('delivers on its own node before publish returns, and once on every other node', async () => {
    const x = node('x');
    const y = node('y');
    await Promise.all([fresh(x), fresh(y)]);
    const atX: Change[] = [];
    const atY: Change[] = [];
    x.subscribe((c) => atX.push(c));
    y.subscribe((c) => atY.push(c));
    x.publish(change);
    expect(atX).toEqual([change]);
    await eventually(() => Promise.resolve(atY.length === 1), 1000);
    expect(atY).toEqual([change]);
    // Its own message came back over Redis too, and was not delivered a second time.
    await new Promise((r) => setTimeout(r, 100));
    expect(atX).toHaveLength(1);
  });

  it('applies nothing it cannot read', async () => {
    const errors: unknown[] = [];
    const x = node('x2', testRedisUrl, (err) => errors.push(err));
    await fresh(x);
    const got: Change[] = [];
    x.subscribe((c) => got.push(c));
    const admin = adminRedis();
    await admin.connect();
    try {
      await admin.publish(channel, 'not json');
      await admin.publish(
        channel,
        JSON.stringify({ node: 'z', at: Date.now(), change: { kind: 'everything' } }),
      );
      await admin.publish(
        channel,
        JSON.stringify({ node: 'z', at: Date.now(), change: { ...change, accountId: 7 } }),
      );
    } finally {
      admin.disconnect();
    }
    await eventually(() => Promise.resolve(errors.length === 3), 1000);
    expect(got).toEqual([]);
  });

  it('makes every node drop its caches once a publish it could not send can be announced', async () => {
    const relay = await TcpRelay.forRedis();
    try {
      const lossy = node('lossy', relay.url(testRedisUrl));
      const other = node('other');
      await Promise.all([fresh(lossy), fresh(other)]);
      const seen: boolean[] = [];
      other.onFreshness((f) => seen.push(f));
      await relay.cut();
      lossy.publish(change);
      await relay.restore();
      // The reset is retried every second until Redis takes it.
      await eventually(() => Promise.resolve(seen.length === 2), 5000);
      expect(seen).toEqual([false, true]);
      expect(other.fresh).toBe(true);
    } finally {
      await relay.cut();
    }
  });
});
