// The network policy cache: one load per account however many calls wait for it, a change that races
// with a load wins, and entries expire after their time-to-live.
import { describe, expect, it } from 'vitest';
import { ManualClock } from '../../core/clock.js';
import type { AccessKeyPolicyRecord } from '../../store/store.js';
import { NetworkPolicyCache } from './network-policy-cache.js';

const ACCOUNT = '1234567890123456';
const active = (ip: string): AccessKeyPolicyRecord => ({
  accountId: ACCOUNT,
  accessKeyId: null,
  document: JSON.stringify({
    Version: 1,
    Status: 'Active',
    Statements: [{ Type: 'ClassicWhiteList', IPList: [ip] }],
  }),
  updatedAt: 0,
});

/** A store whose loads the test answers by hand, in order. */
function manualStore() {
  const pending: ((records: AccessKeyPolicyRecord[]) => void)[] = [];
  return {
    loads: () => pending.length,
    answer(records: AccessKeyPolicyRecord[]) {
      pending.shift()?.(records);
    },
    listAccessKeyPolicies: () =>
      new Promise<AccessKeyPolicyRecord[]>((resolve) => {
        pending.push(resolve);
      }),
  };
}

describe('NetworkPolicyCache', () => {
  it('loads an account once for every call waiting, then answers from memory until a change', async () => {
    const store = manualStore();
    const clock = new ManualClock(0);
    const cache = new NetworkPolicyCache(store, clock);
    const first = cache.forAccount(ACCOUNT, clock.now());
    const second = cache.forAccount(ACCOUNT, clock.now());
    expect(store.loads()).toBe(1);
    store.answer([active('10.0.0.1')]);
    expect((await first).account?.enforced).toBe(true);
    expect(await second).toBe(await first);
    expect(cache.forAccount(ACCOUNT, clock.now())).toBe(await first);
    cache.apply({ kind: 'networkPolicy', accountId: ACCOUNT });
    const reload = cache.forAccount(ACCOUNT, clock.now());
    expect(reload).toBeInstanceOf(Promise);
    store.answer([]);
    await reload;
    // Other changes leave it alone.
    cache.apply({ kind: 'permissions', accountId: ACCOUNT });
    cache.apply({ kind: 'accessKey', accountId: ACCOUNT, accessKeyId: 'LTAIx' });
    expect(cache.forAccount(ACCOUNT, clock.now())).not.toBeInstanceOf(Promise);
  });

  // Security: a load that read the policies before a change must not be cached after it.
  it('does not cache a load that a change raced with', async () => {
    const store = manualStore();
    const clock = new ManualClock(0);
    const cache = new NetworkPolicyCache(store, clock);
    const stale = cache.forAccount(ACCOUNT, clock.now());
    cache.apply({ kind: 'networkPolicy', accountId: ACCOUNT });
    store.answer([]);
    await stale;
    const fresh = cache.forAccount(ACCOUNT, clock.now());
    expect(fresh).toBeInstanceOf(Promise);
    store.answer([active('10.0.0.1')]);
    expect((await fresh).account).toBeDefined();
  });

  // Security: a node whose change bus is down must not serve what it cached, nor what it was loading.
  it('while bypassed, loads on every call and keeps nothing, then caches again', async () => {
    const store = manualStore();
    const clock = new ManualClock(0);
    const cache = new NetworkPolicyCache(store, clock);
    const warm = cache.forAccount(ACCOUNT, clock.now());
    store.answer([active('10.0.0.1')]);
    await warm;
    const loading = cache.forAccount(ACCOUNT + '0', clock.now());
    cache.setBypassed(true);
    const again = cache.forAccount(ACCOUNT + '0', clock.now());
    expect(again).not.toBe(loading);
    expect(store.loads()).toBe(2);
    store.answer([]);
    store.answer([]);
    await Promise.all([loading, again]);
    for (const policies of [[active('10.0.0.2')], []]) {
      const read = cache.forAccount(ACCOUNT, clock.now());
      expect(read).toBeInstanceOf(Promise);
      store.answer(policies);
      expect((await read).account !== undefined).toBe(policies.length > 0);
    }
    cache.setBypassed(false);
    for (const id of [ACCOUNT, ACCOUNT + '0']) {
      const load = cache.forAccount(id, clock.now());
      expect(load).toBeInstanceOf(Promise);
      store.answer([]);
      await load;
      expect(cache.forAccount(id, clock.now())).not.toBeInstanceOf(Promise);
    }
  });

  it('reloads an entry after its time-to-live', async () => {
    const store = manualStore();
    const clock = new ManualClock(0);
    const cache = new NetworkPolicyCache(store, clock, { ttlMs: 1000 });
    const load = cache.forAccount(ACCOUNT, clock.now());
    store.answer([]);
    await load;
    clock.advance(999);
    expect(cache.forAccount(ACCOUNT, clock.now())).not.toBeInstanceOf(Promise);
    clock.advance(1);
    expect(cache.forAccount(ACCOUNT, clock.now())).toBeInstanceOf(Promise);
  });
});
