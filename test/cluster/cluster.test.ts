// Scale-out with real servers: two `ramkey serve` processes on one PostgreSQL installation and one
// Redis, behind Debian's nginx as a round-robin load balancer, driven by the official SDKs. Each node
// must refuse what the other has seen or changed, as the issue promises: replays, disabled, deleted,
// restricted and re-policied keys within a second; usage merges; one node runs the background jobs
// and the other takes them over after a kill -9; with Redis gone every signed call is refused, and
// once it is back they are served again. One cluster for the whole file; the destructive tests last.
import { randomUUID } from 'node:crypto';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { toWireDate } from '../../src/core/clock.js';
import {
  clusterAvailability,
  sleep,
  startCluster,
  waitFor,
  type Cluster,
  type ClusterNode,
} from '../support/cluster.js';
import {
  callAction,
  OpenApiCore,
  RamModule,
  sdkConfig,
  sdkError,
  StsModule,
  type Key,
} from '../support/sdk.js';
import { storeSelected, type Availability } from '../support/test-stores.js';

const IMS = '2019-08-15';
const ACTIONTRAIL = '2020-07-06';
/** The promise: a change made on one node holds on every node within a second. */
const PROPAGATION_MS = 1000;
/** The background jobs' lease, short so that a takeover comes within seconds. */
const JOB_LEASE_MS = 3000;
/** How long Redis may take to be back in use once it answers again (the issue: "within seconds"). */
const REDIS_RETURN_MS = 10_000;
const RUNS_JOBS = /"msg":"this node runs the background jobs"/;
const STANDS_BY = /"msg":"another node runs the background jobs: this one stands by"/;
const PURGED = /"msg":"purged AccessKeys and users past their recycle bin DeleteDate"/;

// The cluster keeps its state in PostgreSQL: a local `STORES=sqlite` run leaves it out.
const availability: Availability = storeSelected('postgres')
  ? await clusterAvailability()
  : { ok: false, reason: `STORES=${process.env.STORES ?? ''} leaves out postgres` };
if (!availability.ok && process.env.CI && storeSelected('postgres')) {
  throw new Error(`the cluster suite must run under CI: ${availability.reason}`);
}
if (!availability.ok) console.warn(`[ramkey tests] skipping the cluster suite: ${availability.reason}`);

let cluster: Cluster;
let admin: Key;
/** Every secret handed out in this file: none may reach a node's log. */
const secrets: string[] = [];

const ram = (endpoint: string, key: Key) => new RamModule.default(sdkConfig(endpoint, key, 'v3'));
const sts = (endpoint: string, key: Key) => new StsModule.default(sdkConfig(endpoint, key, 'v3'));

/** An STS client whose every call carries this nonce and date: each call is the same signed request. */
function pinnedSts(endpoint: string, key: Key, nonce: string, date: string) {
  const config = sdkConfig(endpoint, key, 'v3');
  config.globalParameters = new OpenApiCore.$OpenApiUtil.GlobalParameters({
    headers: { 'x-acs-signature-nonce': nonce, 'x-acs-date': date },
  });
  return new StsModule.default(config);
}

/** `ok`, or the error code of a call that failed. */
async function outcome(call: Promise<unknown>): Promise<string> {
  try {
    await call;
    return 'ok';
  } catch (err) {
    return (err as { code?: string }).code ?? String(err);
  }
}

/** The node whose log names this request. */
function servedBy(requestId: string): Promise<ClusterNode> {
  return waitFor(`a node to log request ${requestId}`, 2000, () =>
    Promise.resolve(
      cluster.nodes.find((node) => node.logs.some((l) => l.includes(`"reqId":"${requestId}"`))),
    ),
  );
}

/** The node whose current run logs a line matching `pattern`, when exactly one does. */
function onlyNodeLogging(pattern: RegExp): ClusterNode | undefined {
  const logging = cluster.nodes.filter((node) => node.runLogs.some((line) => pattern.test(line)));
  return logging.length === 1 ? logging[0] : undefined;
}

/** What a node answers on a plain GET of `path` (the probes). */
async function probe(node: ClusterNode, path: string): Promise<{ status: number; body: string }> {
  const response = await fetch(`http://${node.endpoint}${path}`);
  return { status: response.status, body: await response.text() };
}

/** A user with AliyunRAMReadOnlyAccess and a key, made through node A. */
async function reader(name: string): Promise<Key> {
  const client = ram(cluster.a.endpoint, admin);
  await client.createUser(new RamModule.CreateUserRequest({ userName: name }));
  await client.attachPolicyToUser(
    new RamModule.AttachPolicyToUserRequest({
      userName: name,
      policyName: 'AliyunRAMReadOnlyAccess',
      policyType: 'System',
    }),
  );
  const created = await client.createAccessKey(new RamModule.CreateAccessKeyRequest({ userName: name }));
  const key = {
    id: created.body?.accessKey?.accessKeyId ?? '',
    secret: created.body?.accessKey?.accessKeySecret ?? '',
  };
  secrets.push(key.secret);
  return key;
}

const listUsers = (node: ClusterNode, key: Key) =>
  ram(node.endpoint, key).listUsers(new RamModule.ListUsersRequest({}));

/**
 * Polls `call` on `node` until it fails, for at most the second after `since`; returns the
 * code it failed with (the poll's own error when it never did).
 */
async function refusedWithin(node: ClusterNode, since: number, call: () => Promise<unknown>) {
  return waitFor(`node ${node.name} to refuse`, PROPAGATION_MS - (Date.now() - since), async () => {
    const result = await outcome(call());
    return result === 'ok' ? undefined : result;
  });
}

describe.skipIf(!availability.ok)('two nodes behind nginx on PostgreSQL and Redis', () => {
  beforeAll(async () => {
    cluster = await startCluster({
      env: {
        RAMKEY_TRUST_PROXY: 'loopback',
        RAMKEY_JOB_LEASE_MS: String(JOB_LEASE_MS),
        RAMKEY_MAINTENANCE_INTERVAL_MS: '1000',
      },
    });
    admin = { id: cluster.admin.accessKeyId, secret: cluster.admin.accessKeySecret };
  }, 60_000);

  afterAll(async () => {
    // Undefined when the cluster did not start.
    await (cluster as Cluster | undefined)?.stop();
  }, 60_000);

  // Security: whatever a test did, no secret reached either node's log (debug level, every request).
  afterEach(() => {
    for (const node of cluster.nodes) {
      const log = node.logs.join('\n');
      expect(log).not.toContain(cluster.admin.accessKeySecret);
      expect(log).not.toContain(cluster.admin.password);
      for (const secret of secrets) expect(log).not.toContain(secret);
      expect(log).not.toMatch(/ACS3-HMAC-SHA256 Credential/);
    }
  });

  it('spreads calls through nginx over both nodes', async () => {
    const served = new Set<string>();
    for (let i = 0; i < 4; i++) {
      const answer = await sts(cluster.gateway.endpoint, admin).getCallerIdentity();
      expect(answer.body?.accountId).toBe(cluster.admin.accountId);
      served.add((await servedBy(answer.body?.requestId ?? '')).name);
    }
    expect([...served].sort()).toEqual(['A', 'B']);
  });

  describe('replays', () => {
    it('refuses on B a request A has served (SignatureNonceUsed)', async () => {
      const nonce = randomUUID();
      const date = toWireDate(Date.now());
      const first = await pinnedSts(cluster.a.endpoint, admin, nonce, date).getCallerIdentity();
      expect(first.body?.accountId).toBe(cluster.admin.accountId);
      const replay = await sdkError(pinnedSts(cluster.b.endpoint, admin, nonce, date).getCallerIdentity());
      expect(replay.code).toBe('SignatureNonceUsed');
      // And back on A.
      const again = await sdkError(pinnedSts(cluster.a.endpoint, admin, nonce, date).getCallerIdentity());
      expect(again.code).toBe('SignatureNonceUsed');
    });

    it('refuses a replay through nginx on the node that did not serve the original', async () => {
      const client = pinnedSts(cluster.gateway.endpoint, admin, randomUUID(), toWireDate(Date.now()));
      const first = await client.getCallerIdentity();
      const original = await servedBy(first.body?.requestId ?? '');
      // Round robin: the very same request goes to the other node next.
      const replay = await sdkError(client.getCallerIdentity());
      expect(replay.code).toBe('SignatureNonceUsed');
      const refusing = await servedBy(String(replay.data?.RequestId));
      expect(refusing.name).not.toBe(original.name);
    });
  });

  describe('a change on A holds on B within a second', () => {
    /** The key is used on B first (cached there), changed on A, then refused on B. */
    async function changeOnA(name: string, change: (key: Key) => Promise<unknown>): Promise<string> {
      const key = await reader(name);
      expect(await outcome(listUsers(cluster.b, key))).toBe('ok');
      expect(await outcome(listUsers(cluster.a, key))).toBe('ok');
      await change(key);
      const changed = Date.now();
      return refusedWithin(cluster.b, changed, () => listUsers(cluster.b, key));
    }

    it('a disabled key (InvalidAccessKeyId.Inactive)', async () => {
      const code = await changeOnA('disabled-on-a', (key) =>
        ram(cluster.a.endpoint, admin).updateAccessKey(
          new RamModule.UpdateAccessKeyRequest({
            userName: 'disabled-on-a',
            userAccessKeyId: key.id,
            status: 'Inactive',
          }),
        ),
      );
      expect(code).toBe('InvalidAccessKeyId.Inactive');
    });

    it('a deleted key (InvalidAccessKeyId.NotFound)', async () => {
      const code = await changeOnA('deleted-on-a', (key) =>
        ram(cluster.a.endpoint, admin).deleteAccessKey(
          new RamModule.DeleteAccessKeyRequest({ userName: 'deleted-on-a', userAccessKeyId: key.id }),
        ),
      );
      expect(code).toBe('InvalidAccessKeyId.NotFound');
    });

    it('a leak-restricted key (Forbidden)', async () => {
      const code = await changeOnA('restricted-on-a', (key) =>
        callAction(cluster.a.endpoint, admin, {
          action: 'RestrictAccessKey',
          version: IMS,
          query: {
            UserAccessKeyId: key.id,
            UserPrincipalName: `restricted-on-a@${cluster.admin.accountId}.onaliyun.com`,
            Reason: 'found in a public repository',
          },
        }),
      );
      expect(code).toBe('Forbidden');
    });

    it('a network access policy that leaves out its source (InvalidAccessKeyId.AccessPolicyDenied)', async () => {
      const code = await changeOnA('pinned-on-a', (key) =>
        callAction(cluster.a.endpoint, admin, {
          action: 'SetAccessKeyPolicy',
          version: IMS,
          query: {
            UserAccessKeyId: key.id,
            UserPrincipalName: `pinned-on-a@${cluster.admin.accountId}.onaliyun.com`,
            AccessKeyPolicy: JSON.stringify({
              Version: 1,
              Status: 'Active',
              Statements: [{ Type: 'ClassicWhiteList', IPList: ['203.0.113.0/24'] }],
            }),
          },
        }),
      );
      expect(code).toBe('InvalidAccessKeyId.AccessPolicyDenied');
    });

    it('a detached policy (NoPermission)', async () => {
      const code = await changeOnA('detached-on-a', () =>
        ram(cluster.a.endpoint, admin).detachPolicyFromUser(
          new RamModule.DetachPolicyFromUserRequest({
            userName: 'detached-on-a',
            policyName: 'AliyunRAMReadOnlyAccess',
            policyType: 'System',
          }),
        ),
      );
      expect(code).toBe('NoPermission');
    });
  });

  it('merges last use and usage from both nodes: the latest time wins, counts add up', async () => {
    const key = await reader('used-on-both');
    for (const node of [cluster.a, cluster.b, cluster.a]) await listUsers(node, key);
    // The last call, on B, a second later than any other: its second is the LastUsedDate.
    await sleep(1100);
    const before = Date.now();
    await listUsers(cluster.b, key);
    const after = Date.now();

    const ips = await waitFor('both nodes to write their usage', 5000, async () => {
      const body = (await callAction(cluster.a.endpoint, admin, {
        action: 'GetAccessKeyLastUsedIps',
        version: ACTIONTRAIL,
        query: { AccessKey: key.id },
      })) as { Ips: { Ip: string; CallCount: number; UsedTimestamp: number }[] };
      return body.Ips[0]?.CallCount === 4 ? body.Ips : undefined;
    });
    expect(ips).toHaveLength(1);
    expect(ips[0]?.UsedTimestamp).toBeGreaterThanOrEqual(before);
    expect(ips[0]?.UsedTimestamp).toBeLessThanOrEqual(after);
    for (const node of cluster.nodes) {
      const answer = await ram(node.endpoint, admin).getAccessKeyLastUsed(
        new RamModule.GetAccessKeyLastUsedRequest({ userName: 'used-on-both', userAccessKeyId: key.id }),
      );
      const lastUsed = Date.parse(answer.body?.accessKeyLastUsed?.lastUsedDate ?? '');
      expect(lastUsed).toBeGreaterThanOrEqual(Math.floor(before / 1000) * 1000);
      expect(lastUsed).toBeLessThanOrEqual(after);
    }
  });

  describe('background jobs', () => {
    it('run on exactly one node, the other standing by', async () => {
      const runner = await waitFor('a node to run the jobs', JOB_LEASE_MS * 2, () =>
        Promise.resolve(onlyNodeLogging(RUNS_JOBS)),
      );
      const other = cluster.nodes.find((node) => node !== runner) as ClusterNode;
      await other.waitForLog(STANDS_BY, JOB_LEASE_MS * 2);
      // Still so after a whole lease: the runner renewed it, the other did not take it.
      await sleep(JOB_LEASE_MS);
      expect(onlyNodeLogging(RUNS_JOBS)).toBe(runner);
    });

    it('are taken over by the other node when the runner is killed with kill -9', async () => {
      const runner = onlyNodeLogging(RUNS_JOBS);
      if (!runner) throw new Error('no single node runs the jobs');
      const survivor = cluster.nodes.find((node) => node !== runner) as ClusterNode;
      // A key in the recycle bin, through nginx.
      const userName = 'binned-during-takeover';
      const client = ram(cluster.gateway.endpoint, admin);
      await client.createUser(new RamModule.CreateUserRequest({ userName }));
      const created = await client.createAccessKey(new RamModule.CreateAccessKeyRequest({ userName }));
      const keyId = created.body?.accessKey?.accessKeyId ?? '';
      secrets.push(created.body?.accessKey?.accessKeySecret ?? '');
      await client.deleteAccessKey(
        new RamModule.DeleteAccessKeyRequest({ userName, userAccessKeyId: keyId }),
      );

      await runner.kill();
      // Its DeleteDate passed: due for the purge job, which only the jobs' runner runs now that the
      // nodes are serving. The runner is dead; the purge must come from the survivor.
      await cluster.query(`update access_keys set purge_at = $1 where access_key_id = $2`, [
        Date.now() - 60_000,
        keyId,
      ]);
      const tookOver = await survivor.waitForLog(RUNS_JOBS, JOB_LEASE_MS * 3);
      const purged = await survivor.waitForLog(PURGED, 5000);
      expect(survivor.runLogs.indexOf(purged)).toBeGreaterThan(survivor.runLogs.indexOf(tookOver));
      expect(JSON.parse(purged)).toMatchObject({ keys: 1 });
      const owner = (await callAction(cluster.gateway.endpoint, admin, {
        action: 'GetAccessKeyOwner',
        version: IMS,
        query: { UserAccessKeyId: keyId },
      })) as { AccessKeyOwner: { State: string } };
      expect(owner.AccessKeyOwner.State).toBe('Deleted');

      // nginx passes over the dead node: every call through it is served.
      for (let i = 0; i < 4; i++) {
        expect(await outcome(sts(cluster.gateway.endpoint, admin).getCallerIdentity())).toBe('ok');
      }

      // Back, it serves and stands by: the survivor keeps the jobs.
      await runner.start();
      await runner.waitForLog(STANDS_BY, JOB_LEASE_MS * 2);
      expect(onlyNodeLogging(RUNS_JOBS)).toBe(survivor);
      expect(await outcome(sts(runner.endpoint, admin).getCallerIdentity())).toBe('ok');
    });
  });

  describe('Redis stopped and started again', () => {
    beforeAll(async () => {
      // Both nodes, whatever the tests before left dead.
      for (const node of cluster.nodes) if (!node.running) await node.start();
    });

    /** The readiness probe's answer: its status and what it says of each dependency. */
    async function readiness(node: ClusterNode) {
      const { status, body } = await probe(node, '/readyz');
      return { status, checks: (JSON.parse(body) as { checks: Record<string, { ok: boolean }> }).checks };
    }

    /**
     * Waits until every node serves signed calls again and says it is ready (Redis and the change bus
     * in use: a node may serve a little before its bus is back, reading every key from the database).
     */
    async function servedAgain(): Promise<void> {
      const since = Date.now();
      for (const node of cluster.nodes) {
        await waitFor(`node ${node.name} to serve again`, REDIS_RETURN_MS - (Date.now() - since), async () =>
          (await outcome(sts(node.endpoint, admin).getCallerIdentity())) === 'ok' ? true : undefined,
        );
        await node.waitReady(REDIS_RETURN_MS - (Date.now() - since));
      }
    }

    it('refuses every signed call on both nodes while Redis is down (ServiceUnavailable), and serves again once it is back', async () => {
      for (const node of cluster.nodes) {
        expect(await outcome(sts(node.endpoint, admin).getCallerIdentity())).toBe('ok');
        expect(await readiness(node)).toEqual({
          status: 200,
          checks: { database: { ok: true }, redis: { ok: true }, changeBus: { ok: true } },
        });
      }

      await cluster.redis.stop();
      for (const node of cluster.nodes) {
        const refused = await sdkError(sts(node.endpoint, admin).getCallerIdentity());
        expect(refused.code).toBe('ServiceUnavailable');
        expect(refused.statusCode).toBe(503);
        // Not even with a key both nodes have cached.
        expect(await outcome(listUsers(node, admin))).toBe('ServiceUnavailable');
        const ready = await readiness(node);
        expect(ready.status).toBe(503);
        expect(ready.checks.redis?.ok).toBe(false);
        expect(ready.checks.database?.ok).toBe(true);
        // Alive all the same: nothing to restart.
        expect((await probe(node, '/healthz')).status).toBe(200);
      }
      // Nor through nginx, whichever node it picks.
      expect(await outcome(sts(cluster.gateway.endpoint, admin).getCallerIdentity())).toBe(
        'ServiceUnavailable',
      );

      await cluster.redis.start();
      await servedAgain();
    });

    // Security: the "never a replay window". This Redis keeps nothing across a restart (as a
    // crashed one without persistence, or a failover to a replica that had not caught up): the nonces
    // it held are gone, yet a request served before must not be served again within its window.
    it('still refuses a request served before Redis lost its data, and serves fresh ones', async () => {
      const nonce = randomUUID();
      const date = toWireDate(Date.now());
      await pinnedSts(cluster.a.endpoint, admin, nonce, date).getCallerIdentity();
      await cluster.redis.stop();
      await cluster.redis.start();
      await servedAgain();

      const replay = await outcome(pinnedSts(cluster.b.endpoint, admin, nonce, date).getCallerIdentity());
      expect(replay).not.toBe('ok');
      expect(await outcome(sts(cluster.b.endpoint, admin).getCallerIdentity())).toBe('ok');
    });

    it('carries changes between the nodes again: a key disabled on A is refused on B within a second', async () => {
      const key = await reader('disabled-after-redis');
      expect(await outcome(listUsers(cluster.b, key))).toBe('ok');
      await ram(cluster.a.endpoint, admin).updateAccessKey(
        new RamModule.UpdateAccessKeyRequest({
          userName: 'disabled-after-redis',
          userAccessKeyId: key.id,
          status: 'Inactive',
        }),
      );
      const code = await refusedWithin(cluster.b, Date.now(), () => listUsers(cluster.b, key));
      expect(code).toBe('InvalidAccessKeyId.Inactive');
    });
  });
});
