// The UsedNonceStore contract: the rules of used nonces (src/store/store.ts) as tests every adapter must pass.
import { randomBytes } from 'node:crypto';
import { beforeAll, describe, expect, it } from 'vitest';
import type { NonceRecord, Store } from '../../src/store/store.js';
import { T0, type ContractStore, useContractStore } from './contract-fixtures.js';

const fingerprint = (): string => randomBytes(16).toString('hex');
const nonce = (expiresAt: number): NonceRecord => ({ fingerprint: fingerprint(), expiresAt });

export function describeNonceStoreContract(name: string, makeStore: () => Promise<ContractStore>): void {
  describe(`UsedNonceStore contract: ${name}`, () => {
    const fixtures = useContractStore(makeStore);
    let store: Store;

    beforeAll(() => {
      store = fixtures.store;
    });

    it('records a nonce once and answers a replay of it, in one batch or the next', async () => {
      const a = nonce(T0 + 1000);
      const b = nonce(T0 + 1000);
      expect(await store.recordNonces([a])).toEqual([true]);
      expect(await store.recordNonces([b, { ...a }])).toEqual([true, false]);
      expect(await store.recordNonces([a, b])).toEqual([false, false]);
      expect(await store.recordNonces([])).toEqual([]);
    });

    it('tells records apart by fingerprint and expiry together', async () => {
      const a = nonce(T0 + 2000);
      expect(await store.recordNonces([a, { ...a, expiresAt: T0 + 2001 }, nonce(T0 + 2000)])).toEqual([
        true,
        true,
        true,
      ]);
    });

    it('records the first of the same nonce twice in a batch and answers the second as a replay', async () => {
      const a = nonce(T0 + 3000);
      const b = nonce(T0 + 3000);
      expect(await store.recordNonces([a, { ...a }, b, { ...a }, { ...b }])).toEqual([
        true,
        false,
        true,
        false,
        false,
      ]);
    });

    it('never records the same nonce in two concurrent batches', async () => {
      const shared = Array.from({ length: 200 }, () => nonce(T0 + 4000));
      const mine = Array.from({ length: 50 }, () => nonce(T0 + 4000));
      const theirs = Array.from({ length: 50 }, () => nonce(T0 + 4000));
      // Opposite orders: what could deadlock two writers if they locked rows in input order.
      const results = await Promise.all([
        store.recordNonces([...shared, ...mine]),
        store.recordNonces([...theirs, ...[...shared].reverse()]),
        store.recordNonces(shared),
      ]);
      const [first, second, third] = results;
      expect(first.slice(200)).toEqual(mine.map(() => true));
      expect(second.slice(0, 50)).toEqual(theirs.map(() => true));
      shared.forEach((_, i) => {
        const wins = [first[i], second[50 + 199 - i], third[i]].filter(Boolean).length;
        expect(wins, `shared nonce ${String(i)}`).toBe(1);
      });
    });

    it('purges only expired records, at most `limit` per call, and keeps one expiring at `before`', async () => {
      // Far below the other tests' instants, so that their records are never purged here.
      const base = T0 - 10_000_000;
      const expired = Array.from({ length: 10 }, (_, i) => nonce(base + i));
      const edge = nonce(base + 100);
      const live = nonce(base + 101);
      expect(await store.recordNonces([...expired, edge, live])).toEqual(Array(12).fill(true));

      expect(await store.purgeNonces(base + 100, 4)).toBe(4);
      expect(await store.purgeNonces(base + 100, 4)).toBe(4);
      expect(await store.purgeNonces(base + 100, 4)).toBe(2);
      expect(await store.purgeNonces(base + 100, 4)).toBe(0);
      // Until purged, a record keeps refusing its nonce, even past its expiry.
      expect(await store.recordNonces([edge, live])).toEqual([false, false]);
      // Purged records are forgotten (freshness refuses such old requests before they get here).
      expect(await store.recordNonces([expired[0] as NonceRecord])).toEqual([true]);

      expect(await store.purgeNonces(base + 101, 100)).toBe(2); // expired[0] again, and edge
      expect(await store.recordNonces([live])).toEqual([false]);
    });
  });
}
