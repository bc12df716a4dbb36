// The CredentialReportStore contract: the rules of credential reports (src/store/store.ts) as tests every adapter must pass.
import { beforeAll, describe, expect, it } from 'vitest';
import { generateAccountId } from '../../src/core/keys/key-id.js';
import { cryptoRandom } from '../../src/core/random.js';
import { type AccessKeyRecord, type Store } from '../../src/store/store.js';
import { T0, bin, type ContractStore, useContractStore } from './contract-fixtures.js';

export function describeCredentialReportStoreContract(
  name: string,
  makeStore: () => Promise<ContractStore>,
): void {
  describe(`CredentialReportStore contract: ${name}`, () => {
    const fixtures = useContractStore(makeStore);
    const { newAccount, newUser, newKey } = fixtures;
    let store: Store;

    beforeAll(() => {
      store = fixtures.store;
    });

    describe('credential reports', () => {
      it('loads the root, every user in name order and the live keys oldest first, without secrets', async () => {
        const account = await newAccount();
        const zed = await newUser(account.accountId, 'zed', T0 + 1);
        const amy = await newUser(account.accountId, 'Amy', T0 + 2);
        const rootKey = await newKey(account.accountId, null, T0 + 10);
        const zedOld = await newKey(account.accountId, zed.userId, T0 + 20);
        const zedNew = await newKey(account.accountId, zed.userId, T0 + 30);
        const gone = await newKey(account.accountId, amy.userId, T0 + 40);
        expect(
          await store.recycleAccessKey(account.accountId, amy.userId, gone.accessKeyId, bin(T0 + 50)),
        ).toEqual({ purged: [] });
        await store.recordActivity({
          events: [],
          keyUsage: [],
          lastUsed: [
            {
              accessKeyId: zedNew.accessKeyId,
              lastUsedAt: T0 + 60,
              lastUsedService: 'Ims',
              lastUsedIp: '192.0.2.1',
            },
          ],
        });
        // Another account's principals and keys never appear.
        const other = await newAccount();
        await newKey(other.accountId, (await newUser(other.accountId, 'amy')).userId);

        const source = await store.loadCredentialReportSource(account.accountId);
        expect(source?.accountId).toBe(account.accountId);
        expect(source?.accountCreatedAt).toBe(account.createdAt);
        expect(source?.users).toEqual([amy, zed]);
        const summary = ({ sealedSecret: _sealed, state: _state, ...rest }: AccessKeyRecord) => rest;
        expect(source?.accessKeys).toEqual([
          summary(rootKey),
          summary(zedOld),
          {
            ...summary(zedNew),
            lastUsedAt: T0 + 60,
            lastUsedService: 'Ims',
            lastUsedIp: '192.0.2.1',
          },
        ]);
        for (const key of source?.accessKeys ?? []) expect(key).not.toHaveProperty('sealedSecret');
      });

      it('loads an account without users or keys, and nothing for an unknown account', async () => {
        const account = await newAccount();
        expect(await store.loadCredentialReportSource(account.accountId)).toEqual({
          accountId: account.accountId,
          accountCreatedAt: account.createdAt,
          users: [],
          accessKeys: [],
        });
        expect(await store.loadCredentialReportSource(generateAccountId(cryptoRandom))).toBeUndefined();
      });

      it('keeps one report per account, each save replacing the last', async () => {
        const account = await newAccount();
        const other = await newAccount();
        expect(await store.getCredentialReport(account.accountId)).toBeUndefined();
        await store.saveCredentialReport(account.accountId, T0 + 1, 'user\r\n<root>\r\n');
        await store.saveCredentialReport(other.accountId, T0 + 2, 'theirs\r\n');
        // A report far larger than a page, with quotes and non-ASCII text, comes back byte for byte.
        const big = `user,"a ""quoted"" é"\r\n${'x,'.repeat(100_000)}\r\n`;
        await store.saveCredentialReport(account.accountId, T0 + 3, big);
        expect(await store.getCredentialReport(account.accountId)).toEqual({
          accountId: account.accountId,
          generatedAt: T0 + 3,
          content: big,
        });
        expect(await store.getCredentialReport(other.accountId)).toEqual({
          accountId: other.accountId,
          generatedAt: T0 + 2,
          content: 'theirs\r\n',
        });
      });
    });
  });
}
