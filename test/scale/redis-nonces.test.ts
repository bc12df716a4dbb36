// Nonces in Redis (RAMKEY_REDIS_URL): two nodes on one PostgreSQL database and one Redis refuse each
// other's replays; a node whose Redis is unreachable refuses signed calls with ServiceUnavailable
// (fail closed) and serves again within seconds of its return; /readyz says which dependency is down.
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { toWireDate } from '../../src/core/clock.js';
import { signRpcV1 } from '../../src/core/signature/index.js';
import { startApp, type RunningApp } from '../support/in-process-server.js';
import { adminRedis, describeScaleOut, TcpRelay, testRedisUrl, uniqueRedisPrefix } from '../support/redis.js';
import { clients, sdkError, type Key } from '../support/sdk.js';

/** A V1-signed STS GetCallerIdentity with the admin key, as captured by whoever would replay it. */
function capture(app: RunningApp, nonce: string): string {
  return signRpcV1({
    method: 'GET',
    params: { Format: 'JSON', Action: 'GetCallerIdentity', Version: '2015-04-01' },
    accessKeyId: app.admin.accessKeyId,
    secret: app.admin.accessKeySecret,
    nonce,
    timestamp: toWireDate(Date.now()),
  }).query;
}

async function send(app: RunningApp, query: string): Promise<{ status: number; code: unknown }> {
  const res = await fetch(`http://${app.endpoint}/?${query}`);
  const json = (await res.json()) as Record<string, unknown>;
  return { status: res.status, code: json.Code };
}

async function readyz(app: RunningApp): Promise<{ status: number; text: string; body: Readiness }> {
  const res = await fetch(`http://${app.endpoint}/readyz`);
  const text = await res.text();
  return { status: res.status, text, body: JSON.parse(text) as Readiness };
}

interface Readiness {
  status: string;
  checks: Record<string, { ok: boolean; detail?: string }>;
}

/** Polls `probe` every 50 ms until it is true; fails after `ms`. */
async function eventually(probe: () => Promise<boolean>, ms: number): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await probe())) {
    if (Date.now() > deadline) throw new Error(`not so within ${String(ms)} ms`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

const adminKey = (app: RunningApp): Key => ({ id: app.admin.accessKeyId, secret: app.admin.accessKeySecret });

await describeScaleOut('nonces in Redis', () => {
  describe('two nodes', () => {
    const prefix = uniqueRedisPrefix();
    const redis = adminRedis();
    let a: RunningApp;
    let b: RunningApp;

    beforeAll(async () => {
      a = await startApp({ engine: 'postgres', ramkey: { redis: { url: testRedisUrl, prefix } } });
      b = await startApp({ engine: 'postgres', reuse: a, ramkey: { redis: { url: testRedisUrl, prefix } } });
      await redis.connect();
    });

    afterAll(async () => {
      await b.stop({ keepData: true });
      await a.stop();
      const keys = await redis.keys(`${prefix}*`);
      if (keys.length > 0) await redis.del(...keys);
      redis.disconnect();
    });

    it('refuses on one node a request already served by the other, and keeps no nonce text', async () => {
      const nonce = `replay-${randomUUID()}`;
      const query = capture(a, nonce);
      expect(await send(a, query)).toEqual({ status: 200, code: undefined });
      expect(await send(b, query)).toEqual({ status: 400, code: 'SignatureNonceUsed' });
      expect(await send(a, query)).toEqual({ status: 400, code: 'SignatureNonceUsed' });

      const keys = await redis.keys(`${prefix}nonce:*`);
      expect(keys.length).toBeGreaterThan(0);
      for (const key of keys) expect(key).toMatch(new RegExp(`^${prefix}nonce:[0-9a-f]{32}$`));
      expect(keys.join('\n')).not.toContain(nonce);
      // Kept while the request's timestamp is within the 15-minute window, and a minute's grace past it.
      const ttl = await redis.pttl(keys[0] ?? '');
      expect(ttl).toBeGreaterThan(15 * 60_000);
      expect(ttl).toBeLessThanOrEqual(17 * 60_000);
    });

    it('lets only one of two nodes admit the same request sent to both at once', async () => {
      const query = capture(a, randomUUID());
      const answers = await Promise.all([send(a, query), send(b, query), send(a, query), send(b, query)]);
      expect(answers.filter((r) => r.status === 200)).toHaveLength(1);
      expect(answers.filter((r) => r.code === 'SignatureNonceUsed')).toHaveLength(3);
    });

    it('reports each dependency on /readyz and liveness on /healthz, naming no address', async () => {
      const ready = await readyz(b);
      expect(ready.status).toBe(200);
      expect(ready.body).toEqual({
        status: 'ready',
        checks: { database: { ok: true }, redis: { ok: true }, changeBus: { ok: true } },
      });
      const live = await fetch(`http://${b.endpoint}/healthz`);
      expect(live.status).toBe(200);
      expect(await live.json()).toEqual({ status: 'ok' });
    });
  });

  describe('a node whose Redis is unreachable', () => {
    const prefix = uniqueRedisPrefix();
    let relay: TcpRelay;
    let app: RunningApp;

    beforeAll(async () => {
      relay = await TcpRelay.forRedis();
      app = await startApp({
        engine: 'postgres',
        ramkey: { redis: { url: relay.url(testRedisUrl), prefix } },
      });
    });

    afterAll(async () => {
      await app.stop();
      await relay.cut();
    });

    it('refuses signed calls with ServiceUnavailable, is not ready, and serves again once Redis returns', async () => {
      const sts = () => clients(app.endpoint, adminKey(app), 'v3').sts;
      await eventually(async () => (await readyz(app)).status === 200, 5000);
      expect((await sts().getCallerIdentity()).body?.accountId).toBe(app.admin.accountId);

      await relay.cut();
      const refused = await sdkError(sts().getCallerIdentity());
      expect(refused.code).toBe('ServiceUnavailable');
      expect(refused.statusCode).toBe(503);
      const down = await readyz(app);
      expect(down.status).toBe(503);
      expect(down.body.status).toBe('not ready');
      expect(down.body.checks.database).toEqual({ ok: true });
      expect(down.body.checks.redis?.ok).toBe(false);
      expect(down.body.checks.changeBus?.ok).toBe(false);
      // Unauthenticated: it names what is down, never where it is.
      expect(down.text).not.toContain(String(relay.port));
      expect(down.text).not.toContain('127.0.0.1');
      // Liveness is not readiness: the process itself is fine.
      expect((await fetch(`http://${app.endpoint}/healthz`)).status).toBe(200);

      await relay.restore();
      // Reconnects back off to one second at most.
      await eventually(async () => (await readyz(app)).status === 200, 5000);
      expect((await sts().getCallerIdentity()).body?.accountId).toBe(app.admin.accountId);
    });
  });

  describe('a node whose Redis stops answering without closing the connection', () => {
    const prefix = uniqueRedisPrefix();
    let relay: TcpRelay;
    let app: RunningApp;

    beforeAll(async () => {
      relay = await TcpRelay.forRedis();
      app = await startApp({
        engine: 'postgres',
        ramkey: { redis: { url: relay.url(testRedisUrl), prefix } },
      });
      await eventually(async () => (await readyz(app)).status === 200, 5000);
    });

    afterAll(async () => {
      await app.stop();
      await relay.cut();
    });

    it('refuses signed calls once a command times out, and reconnects by itself', async () => {
      const sts = () => clients(app.endpoint, adminKey(app), 'v3').sts;
      relay.freeze();
      // The nonce's SET gets no answer within a second: refused, never admitted unrecorded.
      expect((await sdkError(sts().getCallerIdentity())).code).toBe('ServiceUnavailable');
      // The silent connections are dropped and opened anew (new connections are relayed again).
      await eventually(async () => (await readyz(app)).status === 200, 10_000);
      expect((await sts().getCallerIdentity()).body?.accountId).toBe(app.admin.accountId);
    });
  });

  describe('a node started while Redis is unreachable', () => {
    const prefix = uniqueRedisPrefix();
    let relay: TcpRelay;
    let app: RunningApp;

    beforeAll(async () => {
      relay = await TcpRelay.forRedis();
      // Nothing listens on the relay's port while the node starts.
      await relay.cut();
      app = await startApp({
        engine: 'postgres',
        ramkey: { redis: { url: relay.url(testRedisUrl), prefix } },
      });
    });

    afterAll(async () => {
      await app.stop();
      await relay.cut();
    });

    it('starts, refuses signed calls until Redis arrives, then serves them', async () => {
      const sts = () => clients(app.endpoint, adminKey(app), 'v3').sts;
      expect((await readyz(app)).status).toBe(503);
      expect((await sdkError(sts().getCallerIdentity())).code).toBe('ServiceUnavailable');
      await relay.restore();
      await eventually(async () => (await readyz(app)).status === 200, 5000);
      expect((await sts().getCallerIdentity()).body?.accountId).toBe(app.admin.accountId);
    });
  });
});

describe('readiness without Redis', () => {
  it('lists the database alone', async () => {
    const app = await startApp();
    try {
      expect((await readyz(app)).body).toEqual({ status: 'ready', checks: { database: { ok: true } } });
    } finally {
      await app.stop();
    }
  });
});
