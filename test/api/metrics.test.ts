// /metrics as Prometheus scrapes it, after calls through the official SDK and a replayed request:
// requests by route, action and code, gate and nonce-store latency, cache hits and misses, the audit
// queue; refused to addresses outside RAMKEY_METRICS_FROM, and holding no AccessKey ID.
import http from 'node:http';
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { toWireDate } from '../../src/core/clock.js';
import { signRpcV1 } from '../../src/core/signature/index.js';
import { parseSamples, sampleValue } from '../support/prometheus.js';
import { startApp, type RunningApp } from '../support/in-process-server.js';
import { callAction, clients, RamModule, sdkError, type Key } from '../support/sdk.js';

let server: RunningApp;
let admin: Key;

beforeAll(async () => {
  // 127.0.0.1 only: the test scrapes from 127.0.0.2 to be someone else. Flushes wait for the test.
  server = await startApp({ metricsFrom: ['127.0.0.1'], ramkey: { usage: { flushIntervalMs: 600_000 } } });
  admin = { id: server.admin.accessKeyId, secret: server.admin.accessKeySecret };
});
afterAll(async () => {
  await server.stop();
});

function get(
  path: string,
  localAddress = '127.0.0.1',
): Promise<{ status: number; contentType: string; text: string }> {
  return new Promise((resolve, reject) => {
    const req = http.request({ host: '127.0.0.1', port: server.port, path, localAddress }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        resolve({
          status: res.statusCode ?? 0,
          contentType: String(res.headers['content-type']),
          text: Buffer.concat(chunks).toString(),
        });
      });
    });
    req.on('error', reject);
    req.end();
  });
}

async function scrape(): Promise<string> {
  const answer = await get('/metrics');
  expect(answer.status).toBe(200);
  expect(answer.contentType).toMatch(/^text\/plain; version=0\.0\.4/);
  return answer.text;
}

/** How much each series moved between two scrapes. */
function moved(before: string, after: string, name: string, labels: Record<string, string> = {}): number {
  return sampleValue(after, name, labels) - sampleValue(before, name, labels);
}

describe('/metrics', () => {
  it('counts calls by action and code, and shows the gate, the nonce store and the caches at work', async () => {
    const before = await scrape();
    const ram = clients(server.endpoint, admin, 'v3').ram;
    await ram.listUsers(new RamModule.ListUsersRequest({}));
    await ram.listUsers(new RamModule.ListUsersRequest({}));
    const wrong = clients(server.endpoint, { id: admin.id, secret: 'w'.repeat(30) }, 'v3').ram;
    expect((await sdkError(wrong.listUsers(new RamModule.ListUsersRequest({})))).code).toBe(
      'SignatureDoesNotMatch',
    );
    // One request sent twice: the second is a replay.
    const signed = signRpcV1({
      method: 'GET',
      params: { Version: '2015-05-01', Format: 'JSON', Action: 'GetUser', UserName: 'admin' },
      accessKeyId: admin.id,
      secret: admin.secret,
      nonce: randomUUID(),
      timestamp: toWireDate(server.clock.now()),
    });
    expect((await get(`/?${signed.query}`)).status).toBe(200);
    const replay = await get(`/?${signed.query}`);
    expect(JSON.parse(replay.text)).toMatchObject({ Code: 'SignatureNonceUsed' });
    // An action no product has: refused before the gate.
    const unknown = callAction(server.endpoint, admin, { action: 'NoSuchAction', version: '2015-05-01' });
    expect((await sdkError(unknown)).code).toBe('InvalidAction.NotFound');
    const after = await scrape();

    const requests = (action: string, code: string) =>
      moved(before, after, 'ramkey_requests_total', { route: 'rpc', action, code });
    expect(requests('ram:ListUsers', 'Success')).toBe(2);
    expect(requests('ram:ListUsers', 'SignatureDoesNotMatch')).toBe(1);
    expect(requests('ram:GetUser', 'Success')).toBe(1);
    expect(requests('ram:GetUser', 'SignatureNonceUsed')).toBe(1);
    expect(requests('unknown', 'InvalidAction.NotFound')).toBe(1);

    // Five calls reached the gate's decision; each bucket counts those at or under its bound.
    const gate = (name: string, labels: Record<string, string> = {}) =>
      moved(before, after, `ramkey_gate_latency_seconds_${name}`, { route: 'rpc', ...labels });
    expect(gate('count')).toBe(5);
    expect(gate('bucket', { le: '+Inf' })).toBe(5);
    expect(gate('sum')).toBeGreaterThan(0);
    const buckets = parseSamples(after)
      .filter((s) => s.name === 'ramkey_gate_latency_seconds_bucket' && s.labels.route === 'rpc')
      .map((s) => s.value);
    expect(buckets.length).toBeGreaterThan(10);
    expect(buckets).toEqual([...buckets].sort((a, b) => a - b));

    // The signature is checked before the nonce: the wrong secret's call never reached the store.
    const nonces = (outcome: string) =>
      moved(before, after, 'ramkey_nonce_store_latency_seconds_count', { outcome });
    expect([nonces('fresh'), nonces('replayed'), nonces('failed')]).toEqual([3, 1, 0]);

    // The key was loaded once and found in memory after; so were the admin's policies.
    const lookups = (cache: string, result: string) =>
      moved(before, after, 'ramkey_cache_lookups_total', { cache, result });
    expect(lookups('keys', 'miss')).toBe(1);
    expect(lookups('keys', 'hit')).toBe(4);
    expect(lookups('policies', 'miss')).toBe(1);
    expect(lookups('policies', 'hit')).toBeGreaterThanOrEqual(2);
    expect(lookups('networkPolicies', 'miss')).toBe(1);
    expect(lookups('networkPolicies', 'hit')).toBeGreaterThanOrEqual(2);

    // Never an AccessKey ID, a secret or an account.
    expect(after).not.toContain(admin.id);
    expect(after).not.toContain(admin.secret);
    expect(after).not.toContain(server.admin.accountId);
  });

  it('shows the audit events waiting to be written, and their age, until they are', async () => {
    await clients(server.endpoint, admin, 'v3').sts.getCallerIdentity();
    const waiting = await scrape();
    expect(sampleValue(waiting, 'ramkey_audit_queue_events')).toBeGreaterThanOrEqual(1);
    expect(sampleValue(waiting, 'ramkey_audit_flush_lag_seconds')).toBeGreaterThan(0);
    await server.flush();
    const written = await scrape();
    const names = parseSamples(written).map((s) => s.name);
    expect(names).toContain('ramkey_audit_queue_events');
    expect(names).toContain('ramkey_audit_flush_lag_seconds');
    expect(sampleValue(written, 'ramkey_audit_queue_events')).toBe(0);
    expect(sampleValue(written, 'ramkey_audit_flush_lag_seconds')).toBe(0);
  });

  it('counts forward-authentication answers under their own route', async () => {
    const before = await scrape();
    // No X-Original-* headers: refused before anything is verified.
    const answer = await new Promise<number>((resolve, reject) => {
      http
        .request({ host: '127.0.0.1', port: server.port, path: '/forward-auth', method: 'GET' }, (res) => {
          res.resume();
          resolve(res.statusCode ?? 0);
        })
        .on('error', reject)
        .end();
    });
    expect(answer).toBe(400);
    const after = await scrape();
    expect(
      moved(before, after, 'ramkey_requests_total', {
        route: 'forward-auth',
        action: 'unknown',
        code: 'MissingParameter',
      }),
    ).toBe(1);
  });

  it('is refused to addresses outside RAMKEY_METRICS_FROM', async () => {
    const answer = await get('/metrics', '127.0.0.2');
    expect(answer.status).toBe(403);
    expect(answer.text).toContain('RAMKEY_METRICS_FROM');
    expect(answer.text).not.toContain('ramkey_');
  });
});
