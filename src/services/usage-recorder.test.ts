import { performance } from 'node:perf_hooks';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { ManualClock } from '../core/clock.js';
import { generateAccessKeyId, generateAccountId } from '../core/keys/key-id.js';
import { cryptoRandom } from '../core/random.js';
import { makeSqliteTestStore, type TestStore } from '../../test/support/test-stores.js';
import type { AuditEventRecord } from '../store/store.js';
import {
  EVENTS_PER_WRITE,
  INDIVIDUAL_FAILURES,
  MAX_FAILURE_AGGREGATES,
  UsageRecorder,
  type KeyUse,
  type ServiceName,
} from './usage-recorder.js';

let handle: TestStore;
let accessKeyId: string;
let accountId: string;
const clock = new ManualClock(Date.parse('2026-11-28T00:00:00Z'));

beforeEach(async () => {
  handle = await makeSqliteTestStore();
  accountId = generateAccountId(cryptoRandom);
  await handle.store.createAccount({
    accountId,
    loginName: `root@${accountId}`,
    passwordHash: 'x',
    createdAt: 0,
  });
  accessKeyId = generateAccessKeyId(cryptoRandom);
  await handle.store.createAccessKey(
    {
      accessKeyId,
      accountId,
      userId: null,
      status: 'Active',
      sealedSecret: 'v1.x.y',
      createdAt: 0,
      updatedAt: 0,
      lastUsedAt: null,
      lastUsedService: null,
      lastUsedIp: null,
      deletedAt: null,
    },
    2,
  );
});

afterEach(async () => {
  await handle.cleanup();
});

function use(service: ServiceName, sourceIp: string, eventName = 'ListUsers'): KeyUse {
  return {
    accessKeyId,
    accountId,
    service,
    eventName,
    sourceIp,
    eventId: cryptoRandom.uuid(),
    at: clock.now(),
  };
}

function event(eventTime: number): AuditEventRecord {
  return {
    eventId: cryptoRandom.uuid(),
    eventTime,
    accountId,
    accessKeyId,
    principalType: 'root-account',
    principalId: accountId,
    userName: 'root',
    eventName: 'ListUsers',
    eventRw: 'Read',
    serviceName: 'Ram',
    apiVersion: '2015-05-01',
    eventSource: 'localhost',
    requestId: 'R',
    sourceIp: '127.0.0.1',
    userAgent: '',
    errorCode: '',
    errorMessage: '',
    requestParameters: {},
  };
}

const lookup = (limit = 100) =>
  handle.store
    .lookupAuditEvents({
      accountId,
      startTime: 0,
      endTime: Date.parse('2100-01-01'),
      direction: 'FORWARD',
      limit,
    })
    .then((page) => page.events);

describe('UsageRecorder', () => {
  it('coalesces many uses of a key into one write per flush, keeping the latest and counting all', async () => {
    const writes = vi.spyOn(handle.store, 'recordActivity');
    const usage = new UsageRecorder(handle.store, { flushIntervalMs: 60_000 });
    for (let i = 0; i < 100; i++) {
      clock.advance(10);
      usage.recordUse(use(i % 2 ? 'Ram' : 'Sts', `127.0.0.${String(i % 3)}`));
      usage.recordEvent(event(clock.now()));
    }
    expect(writes).not.toHaveBeenCalled();
    expect(usage.pendingFor(accessKeyId)?.lastUsedAt).toBe(clock.now());
    await usage.close();
    expect(writes).toHaveBeenCalledTimes(1);
    const batch = writes.mock.calls[0]?.[0];
    expect(batch?.lastUsed).toHaveLength(1);
    expect(batch?.events).toHaveLength(100);
    // 2 services x 3 addresses.
    expect(batch?.keyUsage).toHaveLength(6);
    const stored = await handle.store.getAccessKey(accessKeyId);
    expect(stored?.lastUsedAt).toBe(clock.now());
    expect(stored?.lastUsedService).toBe('Ram');
    expect(stored?.lastUsedIp).toBe('127.0.0.0');
    const ips = await handle.store.keyUsageByIp(accountId, accessKeyId, { limit: 10 });
    expect(ips.reduce((n, r) => n + r.callCount, 0)).toBe(100);
    expect(ips[0]).toMatchObject({ name: '127.0.0.0', lastUsedAt: clock.now() });
    const services = await handle.store.keyUsageByService(accountId, accessKeyId, { limit: 10 });
    expect(services.map((s) => [s.name, s.callCount])).toEqual([
      ['Ram', 50],
      ['Sts', 50],
    ]);
    expect(await lookup()).toHaveLength(100);
  });

  it('flushes by itself within the interval', async () => {
    const usage = new UsageRecorder(handle.store, { flushIntervalMs: 20 });
    usage.recordUse(use('Ims', '::1'));
    usage.recordEvent(event(clock.now()));
    await vi.waitFor(async () => {
      expect((await handle.store.getAccessKey(accessKeyId))?.lastUsedService).toBe('Ims');
      expect(await lookup()).toHaveLength(1);
    });
    await usage.close();
  });

  it('loses nothing when a flush fails: the batch is retried by the next one', async () => {
    const usage = new UsageRecorder(handle.store, { flushIntervalMs: 60_000 });
    usage.recordUse(use('Sts', '127.0.0.1'));
    usage.recordEvent(event(clock.now()));
    const failing = vi
      .spyOn(handle.store, 'recordActivity')
      .mockRejectedValueOnce(new Error('database is locked'));
    await expect(usage.flush()).rejects.toThrow('database is locked');
    expect(usage.pendingFor(accessKeyId)?.lastUsedService).toBe('Sts');
    // More use while the database was away adds to what failed.
    usage.recordUse(use('Sts', '127.0.0.1'));
    failing.mockRestore();
    await usage.close();
    expect((await handle.store.getAccessKey(accessKeyId))?.lastUsedService).toBe('Sts');
    expect((await handle.store.keyUsageByService(accountId, accessKeyId, { limit: 10 }))[0]?.callCount).toBe(
      2,
    );
    expect(await lookup()).toHaveLength(1);
  });

  it('writes a large backlog in transactions of at most EVENTS_PER_WRITE events, starting at once', async () => {
    const writes = vi.spyOn(handle.store, 'recordActivity');
    const usage = new UsageRecorder(handle.store, { flushIntervalMs: 60_000 });
    const total = EVENTS_PER_WRITE * 2 + 17;
    usage.recordUse(use('Sts', '127.0.0.1'));
    for (let i = 0; i < total; i++) usage.recordEvent(event(clock.now() + i));
    // Past a full write's worth it flushes without waiting for the interval.
    await vi.waitFor(() => {
      expect(writes).toHaveBeenCalled();
    });
    await usage.close();
    const sizes = writes.mock.calls.map(([batch]) => batch.events.length);
    expect(Math.max(...sizes)).toBeLessThanOrEqual(EVENTS_PER_WRITE);
    expect(sizes.reduce((a, b) => a + b, 0)).toBe(total);
    expect(writes.mock.calls.filter(([batch]) => batch.lastUsed.length > 0)).toHaveLength(1);
    expect(await lookup(2000)).toHaveLength(total);
  });

  it('requeues only what a failed transaction did not write', async () => {
    const usage = new UsageRecorder(handle.store, { flushIntervalMs: 60_000 });
    usage.recordUse(use('Sts', '127.0.0.1'));
    for (let i = 0; i < EVENTS_PER_WRITE + 5; i++) usage.recordEvent(event(clock.now() + i));
    const real = handle.store.recordActivity.bind(handle.store);
    let calls = 0;
    const failing = vi.spyOn(handle.store, 'recordActivity').mockImplementation((batch) => {
      calls += 1;
      return calls === 2 ? Promise.reject(new Error('disk full')) : real(batch);
    });
    await expect(usage.flush()).rejects.toThrow('disk full');
    failing.mockRestore();
    await usage.close();
    // The first transaction (with the last use) committed once; the failed one's 5 events came later.
    expect((await handle.store.keyUsageByService(accountId, accessKeyId, { limit: 10 }))[0]?.callCount).toBe(
      1,
    );
    expect(await lookup(2000)).toHaveLength(EVENTS_PER_WRITE + 5);
  });

  it('never drops an event, and says it is backlogged past its bounds until a flush catches up', async () => {
    const usage = new UsageRecorder(handle.store, { flushIntervalMs: 60_000, maxPendingEvents: 3 });
    for (let i = 0; i < 2; i++) usage.recordEvent(event(clock.now() + i));
    expect(usage.backlogged()).toBe(false);
    for (let i = 2; i < 5; i++) usage.recordEvent(event(clock.now() + i));
    expect(usage.backlogged()).toBe(true);
    await usage.flush();
    expect(usage.backlogged()).toBe(false);
    expect(await lookup()).toHaveLength(5);
    await usage.close();
  });

  it('is backlogged past its bound in bytes too', async () => {
    const usage = new UsageRecorder(handle.store, { flushIntervalMs: 60_000, maxPendingEventBytes: 20_000 });
    const big = { ...event(clock.now()), requestParameters: { PolicyDocument: 'd'.repeat(6000) } };
    usage.recordEvent({ ...big, eventId: cryptoRandom.uuid() });
    expect(usage.backlogged()).toBe(false);
    usage.recordEvent({ ...big, eventId: cryptoRandom.uuid() });
    // Each is about 12 KB in memory.
    expect(usage.backlogged()).toBe(true);
    await usage.close();
    expect(await lookup()).toHaveLength(2);
  });

  it('aggregates failures by account, source, key and error between flushes, and bounds their number', async () => {
    const usage = new UsageRecorder(handle.store, { flushIntervalMs: 60_000 });
    const failure = (sourceIp: string) => ({
      ...event(clock.now()),
      eventId: cryptoRandom.uuid(),
      sourceIp,
      errorCode: 'SignatureDoesNotMatch',
    });
    for (let i = 0; i < 250; i++) usage.recordFailure(failure('203.0.113.7'));
    for (let i = 0; i < MAX_FAILURE_AGGREGATES + 500; i++)
      usage.recordFailure(failure(`10.0.${String(i >> 8)}.${String(i & 255)}`));
    await usage.flush();
    const rows = await lookup(5000);
    // The first few of one source as events of their own, the rest of it as one; one row per other
    // source up to the bound, one more for the rest; each call counted once.
    const flooder = rows.filter((e) => e.sourceIp === '203.0.113.7');
    expect(flooder.map((e) => e.callCount ?? 1).sort((a, b) => a - b)).toEqual([
      ...Array<number>(INDIVIDUAL_FAILURES).fill(1),
      250 - INDIVIDUAL_FAILURES,
    ]);
    expect(rows).toHaveLength(INDIVIDUAL_FAILURES + 1 + (MAX_FAILURE_AGGREGATES - 1) + 1);
    expect(rows.reduce((n, e) => n + (e.callCount ?? 1), 0)).toBe(250 + MAX_FAILURE_AGGREGATES + 500);
    expect(rows.find((e) => e.sourceIp === '(various)')?.callCount).toBe(501);
    // The next flush starts afresh.
    usage.recordFailure(failure('203.0.113.7'));
    await usage.close();
  });
  it('tells how many audit events wait and since when the oldest record waits, through a failed flush', async () => {
    const usage = new UsageRecorder(handle.store, { flushIntervalMs: 60_000 });
    expect(usage.queuedEvents()).toBe(0);
    expect(usage.oldestUnwrittenSince()).toBeUndefined();
    const before = performance.now();
    usage.recordUse(use('Sts', '127.0.0.1'));
    const since = usage.oldestUnwrittenSince();
    expect(since).toBeGreaterThanOrEqual(before);
    usage.recordEvent(event(clock.now()));
    // Failures past the first few of a kind wait as one aggregate: one event more.
    const failure = { ...event(clock.now()), errorCode: 'SignatureDoesNotMatch' };
    for (let i = 0; i < INDIVIDUAL_FAILURES + 3; i++) usage.recordFailure(failure);
    expect(usage.queuedEvents()).toBe(1 + INDIVIDUAL_FAILURES + 1);
    expect(usage.oldestUnwrittenSince()).toBe(since);

    const failing = vi
      .spyOn(handle.store, 'recordActivity')
      .mockRejectedValueOnce(new Error('database is locked'));
    await expect(usage.flush()).rejects.toThrow('database is locked');
    usage.recordEvent(event(clock.now()));
    // What failed waits still, and is the oldest.
    expect(usage.queuedEvents()).toBe(1 + INDIVIDUAL_FAILURES + 1 + 1);
    expect(usage.oldestUnwrittenSince()).toBe(since);
    failing.mockRestore();
    await usage.flush();
    expect(usage.queuedEvents()).toBe(0);
    expect(usage.oldestUnwrittenSince()).toBeUndefined();
    usage.recordEvent(event(clock.now()));
    expect(usage.oldestUnwrittenSince()).toBeGreaterThan(since ?? Infinity);
    await usage.close();
  });
});
