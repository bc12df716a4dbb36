// An unauthenticated flood cannot damage the audit trail: failures keep only what identifies them and
// are aggregated, a source that keeps failing is throttled, an authenticated call's event is never
// lost, and a backlogged trail slows callers down (Throttling) instead of dropping events.
import { randomUUID } from 'node:crypto';
import { request } from 'node:http';
import { afterEach, describe, expect, it } from 'vitest';
import { toWireDate } from '../../src/core/clock.js';
import { signRpcV1 } from '../../src/core/signature/index.js';
import { startApp, type RunningApp } from '../support/in-process-server.js';
import { callAction, type Key } from '../support/sdk.js';

let server: RunningApp | undefined;
afterEach(async () => {
  await server?.stop();
  server = undefined;
});

/** A V1-signed POST from `localAddress` (a loopback address), with `junk` bytes of extra parameters. */
function call(
  app: RunningApp,
  key: Key,
  params: Record<string, string>,
  localAddress: string,
): Promise<{ status: number; code: string }> {
  const { query } = signRpcV1({
    method: 'POST',
    params: { Version: '2015-05-01', ...params },
    accessKeyId: key.id,
    secret: key.secret,
    nonce: randomUUID(),
    timestamp: toWireDate(app.clock.now()),
  });
  return new Promise((resolve, reject) => {
    const req = request(
      {
        host: '127.0.0.1',
        port: app.port,
        method: 'POST',
        path: '/',
        localAddress,
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
      },
      (res) => {
        let body = '';
        res.on('data', (c: Buffer) => (body += c.toString('utf8')));
        res.on('end', () => {
          resolve({ status: res.statusCode ?? 0, code: (JSON.parse(body) as { Code?: string }).Code ?? '' });
        });
      },
    );
    req.on('error', reject);
    req.end(query);
  });
}

async function lookupEvents(app: RunningApp, key: Key): Promise<Record<string, unknown>[]> {
  const body = (await callAction(app.endpoint, key, {
    action: 'LookupEvents',
    version: '2020-07-06',
    query: { MaxResults: 50 },
  })) as { Events: Record<string, unknown>[] };
  return body.Events;
}

describe('an unauthenticated flood', () => {
  it('is aggregated, keeps no junk, is throttled per source, and costs no other call its event', async () => {
    const app = (server = await startApp({ ramkey: { failureLimits: { perSecond: 0.01, burst: 20 } } }));
    const victim = { id: app.admin.accessKeyId, secret: app.admin.accessKeySecret };
    const other = await app.createAccount();
    const otherKey = { id: other.accessKeyId, secret: other.accessKeySecret };
    const junk = { Action: 'ListUsers', UserName: 'x'.repeat(500), Junk: 'j'.repeat(16_000) };

    // 200 calls with the victim's real key ID and a wrong secret, interleaved with 30 good calls of
    // another account from another address.
    const flood: Promise<{ status: number; code: string }>[] = [];
    const good: Promise<{ status: number; code: string }>[] = [];
    for (let i = 0; i < 200; i++) {
      flood.push(call(app, { id: victim.id, secret: 'w'.repeat(30) }, junk, '127.0.0.1'));
      if (i % 7 === 0) good.push(call(app, otherKey, { Action: 'ListUsers' }, '127.0.0.2'));
    }
    const floodAnswers = await Promise.all(flood);
    const goodAnswers = await Promise.all(good);
    expect(goodAnswers.every((a) => a.status === 200)).toBe(true);
    const refused = floodAnswers.filter((a) => a.code === 'SignatureDoesNotMatch').length;
    const throttled = floodAnswers.filter((a) => a.code === 'Throttling' && a.status === 503).length;
    // The burst reached the signature check; the rest was throttled before anything was verified.
    expect(refused).toBe(20);
    expect(refused + throttled).toBe(200);
    // Even a correct call from the throttled source waits.
    expect((await call(app, otherKey, { Action: 'ListUsers' }, '127.0.0.1')).code).toBe('Throttling');

    await app.flush();
    // 200 seconds later the source's allowance has refilled a little: the owner looks at the trail.
    app.clock.advance(200_000);
    const victimEvents = (await lookupEvents(app, victim)).filter(
      (e) => e.errorCode === 'SignatureDoesNotMatch',
    );
    // The first few as events of their own, the rest of the flood as one counted event; every call
    // that reached the gate is counted once, and none keeps the junk.
    const counts = victimEvents.map(
      (e) => (e.additionalEventData as { CallCount?: number } | undefined)?.CallCount ?? 1,
    );
    expect(counts.sort((a, b) => a - b)).toEqual([1, 1, 1, 1, 1, refused - 5]);
    for (const e of victimEvents) expect(e.requestParameters).toEqual({ UserName: 'x'.repeat(64) });
    // Every good call of the other account has its own event.
    const otherEvents = (await lookupEvents(app, otherKey)).filter((e) => e.eventName === 'ListUsers');
    expect(otherEvents.filter((e) => e.errorCode === undefined)).toHaveLength(goodAnswers.length);
  });

  it('slows callers down with Throttling while the trail is backlogged, and loses no event', async () => {
    const app = (server = await startApp({
      ramkey: { usage: { flushIntervalMs: 60_000, maxPendingEvents: 5 } },
    }));
    const admin = { id: app.admin.accessKeyId, secret: app.admin.accessKeySecret };
    for (let i = 0; i < 5; i++)
      expect((await call(app, admin, { Action: 'ListUsers' }, '127.0.0.1')).status).toBe(200);
    expect(await call(app, admin, { Action: 'ListUsers' }, '127.0.0.1')).toEqual({
      status: 503,
      code: 'Throttling',
    });
    await app.flush();
    expect((await call(app, admin, { Action: 'ListUsers' }, '127.0.0.1')).status).toBe(200);
    await app.flush();
    const listed = (await lookupEvents(app, admin)).filter(
      (e) => e.eventName === 'ListUsers' && e.errorCode === undefined,
    );
    expect(listed).toHaveLength(6);
  });
});
