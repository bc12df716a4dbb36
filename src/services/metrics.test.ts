// Unit tests of Metrics (one registry per instance, bounded labels, the bus-lag hook) and of
// TimedNonceStore around the real durable nonce store.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ManualClock } from '../core/clock.js';
import { makeSqliteTestStore, type SqliteTestStore } from '../../test/support/test-stores.js';
import { parseSamples, sampleValue } from '../../test/support/prometheus.js';
import { DurableNonceStore, NonceStoreUnavailableError } from './gate/nonce-store.js';
import { TimedNonceStore } from './gate/timed-nonce-store.js';
import { MAX_ACTION_LABELS, Metrics, OTHER_ACTION, UNKNOWN_ACTION } from './metrics.js';

describe('Metrics', () => {
  it('counts requests by route, action and result code, each registry on its own', async () => {
    const metrics = new Metrics();
    const other = new Metrics();
    metrics.countRequest('rpc', 'ram:ListUsers', 'Success');
    metrics.countRequest('rpc', 'ram:ListUsers', 'Success');
    metrics.countRequest('rpc', 'ram:ListUsers', 'SignatureDoesNotMatch');
    metrics.countRequest('forward-auth', undefined, 'MissingParameter');
    const text = await metrics.text();
    const requests = (labels: Record<string, string>) => sampleValue(text, 'ramkey_requests_total', labels);
    expect(requests({ route: 'rpc', action: 'ram:ListUsers', code: 'Success' })).toBe(2);
    expect(requests({ route: 'rpc', action: 'ram:ListUsers', code: 'SignatureDoesNotMatch' })).toBe(1);
    expect(requests({ route: 'forward-auth', action: UNKNOWN_ACTION, code: 'MissingParameter' })).toBe(1);
    // Scraping again reports the same totals (the counters are read, not drained).
    expect(
      sampleValue(await metrics.text(), 'ramkey_requests_total', { code: 'SignatureDoesNotMatch' }),
    ).toBe(1);
    expect(parseSamples(await other.text()).filter((s) => s.name === 'ramkey_requests_total')).toEqual([]);
  });

  it('folds actions past MAX_ACTION_LABELS into one label, so that the series stay bounded', async () => {
    const metrics = new Metrics();
    for (let i = 0; i < MAX_ACTION_LABELS + 5; i++)
      metrics.countRequest('forward-auth', `svc:A${String(i)}`, 'Success');
    metrics.countRequest('rpc', 'ram:GetUser', 'Success');
    const samples = parseSamples(await metrics.text()).filter((s) => s.name === 'ramkey_requests_total');
    expect(new Set(samples.map((s) => s.labels.action)).size).toBe(MAX_ACTION_LABELS + 1);
    expect(
      samples.find((s) => s.labels.action === OTHER_ACTION && s.labels.route === 'forward-auth')?.value,
    ).toBe(5);
    expect(samples.find((s) => s.labels.action === OTHER_ACTION && s.labels.route === 'rpc')?.value).toBe(1);
    // An action already labelled keeps its label.
    metrics.countRequest('forward-auth', 'svc:A0', 'Success');
    expect(
      sampleValue(await metrics.text(), 'ramkey_requests_total', { route: 'forward-auth', action: 'svc:A0' }),
    ).toBe(2);
  });

  it('counts cache lookups by cache and result', async () => {
    const metrics = new Metrics();
    metrics.cacheLookups('keys').miss();
    metrics.cacheLookups('keys').hit();
    metrics.cacheLookups('keys').hit();
    const text = await metrics.text();
    expect(sampleValue(text, 'ramkey_cache_lookups_total', { cache: 'keys', result: 'hit' })).toBe(2);
    expect(sampleValue(text, 'ramkey_cache_lookups_total', { cache: 'keys', result: 'miss' })).toBe(1);
    expect(sampleValue(text, 'ramkey_cache_lookups_total', { cache: 'services', result: 'hit' })).toBe(0);
  });

  it("observes the change bus's delivery lag in seconds, a negative lag as none", async () => {
    const metrics = new Metrics();
    const hook: (lagMs: number) => void = metrics.observeBusLag;
    hook(200);
    hook(-30);
    const text = await metrics.text();
    expect(sampleValue(text, 'ramkey_change_bus_lag_seconds_count')).toBe(2);
    expect(sampleValue(text, 'ramkey_change_bus_lag_seconds_sum')).toBeCloseTo(0.2);
    expect(sampleValue(text, 'ramkey_change_bus_lag_seconds_bucket', { le: '0.001' })).toBe(1);
    expect(sampleValue(text, 'ramkey_change_bus_lag_seconds_bucket', { le: '0.1' })).toBe(1);
    expect(sampleValue(text, 'ramkey_change_bus_lag_seconds_bucket', { le: '0.25' })).toBe(2);
  });

  it('exports process metrics only when asked', async () => {
    const plain = parseSamples(await new Metrics().text()).map((s) => s.name);
    expect(plain.some((name) => name.startsWith('process_'))).toBe(false);
    const full = parseSamples(await new Metrics({ processMetrics: true }).text()).map((s) => s.name);
    expect(full).toContain('process_cpu_user_seconds_total');
  });
});

describe('TimedNonceStore around the durable nonce store', () => {
  let handle: SqliteTestStore;
  beforeAll(async () => {
    handle = await makeSqliteTestStore();
  });
  afterAll(() => handle.cleanup());

  it('observes each answer by outcome and passes answers and errors on unchanged', async () => {
    const metrics = new Metrics();
    const clock = new ManualClock(Date.parse('2026-12-01T00:00:00Z'));
    const durable = new DurableNonceStore(handle.store, { clock });
    const nonces = new TimedNonceStore(durable, metrics.observeNonce);
    const expiresAt = clock.now() + 60_000;
    const id = 'LTAI' + 'm'.repeat(20);
    expect(await nonces.remember(id, 'n-1', expiresAt, clock.now(), clock.now())).toBe(true);
    expect(await nonces.remember(id, 'n-2', expiresAt, clock.now(), clock.now())).toBe(true);
    expect(await nonces.remember(id, 'n-1', expiresAt, clock.now(), clock.now())).toBe(false);
    await durable.close();
    await expect(nonces.remember(id, 'n-3', expiresAt, clock.now(), clock.now())).rejects.toBeInstanceOf(
      NonceStoreUnavailableError,
    );
    const text = await metrics.text();
    const count = (outcome: string) =>
      sampleValue(text, 'ramkey_nonce_store_latency_seconds_count', { outcome });
    expect([count('fresh'), count('replayed'), count('failed')]).toEqual([2, 1, 1]);
    expect(
      sampleValue(text, 'ramkey_nonce_store_latency_seconds_bucket', { outcome: 'fresh', le: '+Inf' }),
    ).toBe(2);
  });
});
