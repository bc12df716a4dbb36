// The SecretIndexStore contract: the rules of the secret index (src/store/store.ts) as tests every adapter must pass.
import { beforeAll, describe, expect, it } from 'vitest';
import type { Store } from '../../src/store/store.js';
import { T0, bin, type ContractStore, useContractStore } from './contract-fixtures.js';

export function describeSecretIndexStoreContract(
  name: string,
  makeStore: () => Promise<ContractStore>,
): void {
  describe(`SecretIndexStore contract: ${name}`, () => {
    const fixtures = useContractStore(makeStore);
    const { newAccount, newUser, newKey } = fixtures;
    let store: Store;
    // The index is global to the store and the suite shares one store: each test uses its own key
    // version, so that what another test indexed never shows in its lists.
    let version = 100;

    beforeAll(() => {
      store = fixtures.store;
    });

    async function twoKeys() {
      const account = await newAccount();
      const user = await newUser(account.accountId, 'ix');
      const a = await newKey(account.accountId, user.userId, T0 + 1);
      const b = await newKey(account.accountId, null, T0 + 2);
      return { account, user, a, b };
    }

    it('keeps one fingerprint per live key, under its version, and lists the live keys still without one', async () => {
      const v = ++version;
      const { a, b } = await twoKeys();
      const unindexed = await store.listUnindexedAccessKeys(v, '', 1000);
      const mine = unindexed.filter(
        (k) => k.accessKeyId === a.accessKeyId || k.accessKeyId === b.accessKeyId,
      );
      expect(mine).toEqual(
        [a, b]
          .map((k) => ({ accessKeyId: k.accessKeyId, sealedSecret: k.sealedSecret }))
          .sort((x, y) => (x.accessKeyId < y.accessKeyId ? -1 : 1)),
      );
      // In ID order, after the given ID.
      expect(unindexed.map((k) => k.accessKeyId)).toEqual(unindexed.map((k) => k.accessKeyId).sort());
      const first = unindexed[0]?.accessKeyId ?? '';
      expect((await store.listUnindexedAccessKeys(v, first, 1000)).map((k) => k.accessKeyId)).toEqual(
        unindexed.slice(1).map((k) => k.accessKeyId),
      );
      expect(await store.listUnindexedAccessKeys(v, '', 1)).toHaveLength(1);
      const before = await store.countUnindexedAccessKeys(v);
      expect(before).toBe(unindexed.length);

      await store.putSecretFingerprints([
        { accessKeyId: a.accessKeyId, keyVersion: v, fingerprint: 'fp-a' },
        { accessKeyId: b.accessKeyId, keyVersion: v, fingerprint: 'fp-b' },
      ]);
      expect((await store.listSecretFingerprints(v)).sort()).toEqual(['fp-a', 'fp-b']);
      expect(await store.getSecretFingerprint(a.accessKeyId, v)).toBe('fp-a');
      expect(await store.getSecretFingerprint(a.accessKeyId, v + 1000)).toBeUndefined();
      expect(await store.countUnindexedAccessKeys(v)).toBe(before - 2);
      const left = (await store.listUnindexedAccessKeys(v, '', 1000)).map((k) => k.accessKeyId);
      expect(left).not.toContain(a.accessKeyId);
      expect(left).not.toContain(b.accessKeyId);
    });

    it('replaces an entry of an older version (a master key rotation re-indexes)', async () => {
      const v = ++version;
      const { a } = await twoKeys();
      await store.putSecretFingerprints([{ accessKeyId: a.accessKeyId, keyVersion: v, fingerprint: 'old' }]);
      const next = ++version;
      expect((await store.listUnindexedAccessKeys(next, '', 1000)).map((k) => k.accessKeyId)).toContain(
        a.accessKeyId,
      );
      await store.putSecretFingerprints([
        { accessKeyId: a.accessKeyId, keyVersion: next, fingerprint: 'new' },
      ]);
      expect(await store.getSecretFingerprint(a.accessKeyId, next)).toBe('new');
      expect(await store.getSecretFingerprint(a.accessKeyId, v)).toBeUndefined();
      expect(await store.listSecretFingerprints(v)).not.toContain('old');
    });

    it('counts an entry only while its key holds its secret; delete returns it, prune removes the leftovers', async () => {
      const v = ++version;
      const { account, user, a, b } = await twoKeys();
      await store.putSecretFingerprints([
        { accessKeyId: a.accessKeyId, keyVersion: v, fingerprint: 'fp-a' },
        { accessKeyId: b.accessKeyId, keyVersion: v, fingerprint: 'fp-b' },
      ]);
      // In the recycle bin the key keeps its secret (it may come back): its entry still counts.
      expect(
        await store.recycleAccessKey(account.accountId, user.userId, a.accessKeyId, bin(T0 + 5)),
      ).toBeDefined();
      expect((await store.listSecretFingerprints(v)).sort()).toEqual(['fp-a', 'fp-b']);
      expect(await store.getSecretFingerprint(a.accessKeyId, v)).toBe('fp-a');
      expect(await store.pruneSecretFingerprints()).toBe(0);
      // A purge whose unindex never happened (a crash in between): the entry no longer counts.
      expect(await store.purgeAccessKey(account.accountId, user.userId, a.accessKeyId, T0 + 6)).toBe(true);
      expect(await store.listSecretFingerprints(v)).toEqual(['fp-b']);
      expect(await store.getSecretFingerprint(a.accessKeyId, v)).toBeUndefined();
      expect(await store.pruneSecretFingerprints()).toBeGreaterThanOrEqual(1);
      expect(await store.deleteSecretFingerprint(a.accessKeyId)).toBeUndefined();
      // The ordinary way: the key's entry is deleted and its fingerprint returned.
      expect(await store.deleteSecretFingerprint(b.accessKeyId)).toBe('fp-b');
      expect(await store.deleteSecretFingerprint(b.accessKeyId)).toBeUndefined();
      expect(await store.listSecretFingerprints(v)).toEqual([]);
      // A purged key gets no entry at all.
      await store.putSecretFingerprints([{ accessKeyId: a.accessKeyId, keyVersion: v, fingerprint: 'late' }]);
      expect(await store.listSecretFingerprints(v)).toEqual([]);
      expect(await store.pruneSecretFingerprints()).toBe(0);
      // Purged keys are not to be indexed.
      expect((await store.listUnindexedAccessKeys(v, '', 1000)).map((k) => k.accessKeyId)).not.toContain(
        a.accessKeyId,
      );
    });

    it('indexes a key in the recycle bin, which may come back, like a live one', async () => {
      const v = ++version;
      const { account, user, a } = await twoKeys();
      await store.recycleAccessKey(account.accountId, user.userId, a.accessKeyId, bin(T0 + 5));
      expect((await store.listUnindexedAccessKeys(v, '', 1000)).map((k) => k.accessKeyId)).toContain(
        a.accessKeyId,
      );
      await store.putSecretFingerprints([{ accessKeyId: a.accessKeyId, keyVersion: v, fingerprint: 'fp-r' }]);
      expect(await store.listSecretFingerprints(v)).toEqual(['fp-r']);
    });
  });
}
