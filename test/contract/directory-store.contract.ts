// The DirectoryStore contract: resource directories (src/store/store.ts) as tests every adapter must pass.
import { beforeAll, describe, expect, it } from 'vitest';
import type { Store } from '../../src/store/store.js';
import { T0, bin, type ContractStore, useContractStore } from './contract-fixtures.js';

export function describeDirectoryStoreContract(name: string, makeStore: () => Promise<ContractStore>): void {
  describe(`DirectoryStore contract: ${name}`, () => {
    const fixtures = useContractStore(makeStore);
    const { newAccount, newKey } = fixtures;
    let store: Store;

    beforeAll(() => {
      store = fixtures.store;
    });

    it('keeps each account in one directory at most, listed by management account', async () => {
      const [management, a, b] = [await newAccount(), await newAccount(), await newAccount()];
      const row = (accountId: string, at = T0) => ({
        accountId,
        managementAccountId: management.accountId,
        joinedAt: at,
      });
      expect(await store.putDirectoryAccount(row(management.accountId))).toBe(true);
      expect(await store.putDirectoryAccount(row(b.accountId, T0 + 2))).toBe(true);
      expect(await store.putDirectoryAccount(row(a.accountId, T0 + 1))).toBe(true);
      // Already in a directory: refused, whichever directory asks.
      expect(await store.putDirectoryAccount({ ...row(a.accountId), managementAccountId: b.accountId })).toBe(
        false,
      );
      expect(await store.getDirectoryAccount(a.accountId)).toEqual(row(a.accountId, T0 + 1));
      const listed = await store.listDirectoryAccounts(management.accountId);
      expect(listed.map((r) => r.accountId)).toEqual([management.accountId, a.accountId, b.accountId].sort());
      expect(
        (await store.listAllDirectoryAccounts()).filter(
          (r) => r.managementAccountId === management.accountId,
        ),
      ).toEqual(listed);
      expect(await store.removeDirectoryAccount(b.accountId)).toBe(true);
      expect(await store.removeDirectoryAccount(b.accountId)).toBe(false);
      expect(await store.getDirectoryAccount(b.accountId)).toBeUndefined();
    });

    it("names a key's account whatever the key's state", async () => {
      const account = await newAccount();
      const key = await newKey(account.accountId, null);
      expect(await store.accountOfAccessKey(key.accessKeyId)).toBe(account.accountId);
      expect(
        await store.recycleAccessKey(account.accountId, null, key.accessKeyId, bin(T0 + 1)),
      ).toBeDefined();
      expect(await store.accountOfAccessKey(key.accessKeyId)).toBe(account.accountId);
      expect(await store.accountOfAccessKey('LTAI' + 'n'.repeat(20))).toBeUndefined();
    });
  });
}
