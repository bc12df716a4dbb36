import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { ManualClock } from '../core/clock.js';
import { generateAccessKeyId, generateAccountId } from '../core/keys/key-id.js';
import { cryptoRandom } from '../core/random.js';
import { makeSqliteTestStore, type TestStore } from '../../test/support/test-stores.js';
import { UsageRecorder } from './usage-recorder.js';

let handle: TestStore;
let accessKeyId: string;
const clock = new ManualClock(Date.parse('2026-11-28T00:00:00Z'));

beforeEach(async () => {
  handle = await makeSqliteTestStore();
  const accountId = generateAccountId(cryptoRandom);
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

describe('UsageRecorder', () => {
  it('coalesces many uses of a key into one write per flush, keeping the latest', async () => {
    const writes = vi.spyOn(handle.store, 'recordLastUsed');
    const usage = new UsageRecorder(handle.store, clock, { flushIntervalMs: 60_000 });
    for (let i = 0; i < 100; i++) {
      clock.advance(10);
      usage.record(accessKeyId, i % 2 ? 'Ram' : 'Sts', `127.0.0.${String(i % 3)}`);
    }
    expect(writes).not.toHaveBeenCalled();
    expect(usage.pendingFor(accessKeyId)?.lastUsedAt).toBe(clock.now());
    await usage.close();
    expect(writes).toHaveBeenCalledTimes(1);
    expect(writes.mock.calls[0]?.[0]).toHaveLength(1);
    const stored = await handle.store.getAccessKey(accessKeyId);
    expect(stored?.lastUsedAt).toBe(clock.now());
    expect(stored?.lastUsedService).toBe('Ram');
    expect(stored?.lastUsedIp).toBe('127.0.0.0');
  });

  it('flushes by itself within the interval', async () => {
    const usage = new UsageRecorder(handle.store, clock, { flushIntervalMs: 20 });
    usage.record(accessKeyId, 'Ims', '::1');
    await vi.waitFor(async () => {
      expect((await handle.store.getAccessKey(accessKeyId))?.lastUsedService).toBe('Ims');
    });
    await usage.close();
  });

  it('loses nothing when a flush fails: the batch is retried by the next one', async () => {
    const usage = new UsageRecorder(handle.store, clock, { flushIntervalMs: 60_000 });
    usage.record(accessKeyId, 'Sts', '127.0.0.1');
    const failing = vi
      .spyOn(handle.store, 'recordLastUsed')
      .mockRejectedValueOnce(new Error('database is locked'));
    await expect(usage.flush()).rejects.toThrow('database is locked');
    expect(usage.pendingFor(accessKeyId)?.lastUsedService).toBe('Sts');
    failing.mockRestore();
    await usage.close();
    expect((await handle.store.getAccessKey(accessKeyId))?.lastUsedService).toBe('Sts');
  });
});
