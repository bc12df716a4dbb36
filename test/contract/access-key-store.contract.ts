// The AccessKeyStore contract: the rules of AccessKeys, their lifecycle and last use (src/store/store.ts) as tests every adapter must pass.
import { beforeAll, describe, expect, it } from 'vitest';
import { RamkeyError } from '../../src/core/errors/ramkey-error.js';
import { generateAccessKeyId, generateUserId } from '../../src/core/keys/key-id.js';
import { cryptoRandom } from '../../src/core/random.js';
import { type AccessKeyRecord, type LastUsedUpdate, type Store } from '../../src/store/store.js';
import {
  T0,
  bin,
  expectRamkeyError,
  expectRejectedWith,
  type ContractStore,
  useContractStore,
} from './contract-fixtures.js';

export function describeAccessKeyStoreContract(name: string, makeStore: () => Promise<ContractStore>): void {
  describe(`AccessKeyStore contract: ${name}`, () => {
    const fixtures = useContractStore(makeStore);
    const { newAccount, newUser, keyRecord, newKey, purgeKey } = fixtures;
    let store: Store;

    beforeAll(() => {
      store = fixtures.store;
    });

    describe('access keys', () => {
      it('reads back a created key field for field, by its ID alone', async () => {
        const account = await newAccount();
        const user = await newUser(account.accountId, 'sam');
        const key = await newKey(account.accountId, user.userId);
        expect(await store.getAccessKey(key.accessKeyId)).toEqual(key);
        expect(await store.getAccessKey(generateAccessKeyId(cryptoRandom))).toBeUndefined();
      });

      it("lists one principal's live keys oldest first, root keys apart from users' keys", async () => {
        const account = await newAccount();
        const user = await newUser(account.accountId, 'tina');
        const newer = await newKey(account.accountId, user.userId, T0 + 2000);
        const older = await newKey(account.accountId, user.userId, T0 + 1000);
        const root = await newKey(account.accountId, null, T0 + 500);
        expect(await store.listAccessKeys(account.accountId, user.userId)).toEqual([older, newer]);
        expect(await store.listAccessKeys(account.accountId, null)).toEqual([root]);
        // Another account sees none of them.
        const other = await newAccount();
        expect(await store.listAccessKeys(other.accountId, user.userId)).toEqual([]);
        expect(await store.listAccessKeys(other.accountId, null)).toEqual([]);
      });

      it('refuses a key beyond maxLiveKeys with LimitExceeded.User.AccessKey, counting inactive keys', async () => {
        const account = await newAccount();
        const user = await newUser(account.accountId, 'uma');
        const first = await newKey(account.accountId, user.userId);
        await store.updateAccessKeyStatus(
          account.accountId,
          user.userId,
          first.accessKeyId,
          'Inactive',
          T0 + 1,
        );
        await newKey(account.accountId, user.userId);
        const third = keyRecord(account.accountId, user.userId);
        await expectRamkeyError(store.createAccessKey(third, 2), 'LimitExceeded.User.AccessKey');
        expect(await store.getAccessKey(third.accessKeyId)).toBeUndefined();
        expect(await store.listAccessKeys(account.accountId, user.userId)).toHaveLength(2);
      });

      it("counts the limit per principal: root keys and each user's keys apart", async () => {
        const account = await newAccount();
        const u1 = await newUser(account.accountId, 'victor');
        const u2 = await newUser(account.accountId, 'wendy');
        for (const principal of [null, u1.userId, u2.userId]) {
          await newKey(account.accountId, principal, T0, 1);
          await expectRamkeyError(
            store.createAccessKey(keyRecord(account.accountId, principal), 1),
            'LimitExceeded.User.AccessKey',
          );
        }
        expect(await store.countAccessKeys(account.accountId)).toBe(3);
      });

      it('honours the configured limit', async () => {
        const account = await newAccount();
        for (let i = 0; i < 5; i++) await newKey(account.accountId, null, T0 + i, 5);
        await expectRamkeyError(
          store.createAccessKey(keyRecord(account.accountId, null), 5),
          'LimitExceeded.User.AccessKey',
        );
        await expectRamkeyError(
          store.createAccessKey(keyRecord(account.accountId, null), 0),
          'LimitExceeded.User.AccessKey',
        );
      });

      // The check and the insert are one atomic step: concurrent creates cannot all see room.
      it('lets exactly maxLiveKeys of many concurrent creates succeed', async () => {
        const account = await newAccount();
        const user = await newUser(account.accountId, 'xavier');
        for (const principal of [user.userId, null]) {
          const keys = Array.from({ length: 5 }, (_, i) => keyRecord(account.accountId, principal, T0 + i));
          const results = await Promise.allSettled(keys.map((k) => store.createAccessKey(k, 2)));
          const fulfilled = results.filter((r) => r.status === 'fulfilled');
          const rejected = results.filter((r) => r.status === 'rejected');
          expect(fulfilled).toHaveLength(2);
          expect(rejected).toHaveLength(3);
          for (const r of rejected) {
            expect(r.reason).toBeInstanceOf(RamkeyError);
            expect((r.reason as RamkeyError).code).toBe('LimitExceeded.User.AccessKey');
          }
          expect(await store.listAccessKeys(account.accountId, principal)).toHaveLength(2);
        }
      });

      // Without this, a key could be created, live, for a user that a concurrent DeleteUser just moved
      // to the recycle bin: either the create fails, or its key goes to the bin with the user.
      it('never leaves a live key to a user a concurrent delete moved to the recycle bin', async () => {
        const account = await newAccount();
        for (let round = 0; round < 5; round++) {
          const user = await newUser(account.accountId, `race-${round}`);
          const key = keyRecord(account.accountId, user.userId);
          const [recycled, created] = await Promise.allSettled([
            store.recycleUser(account.accountId, user.userId, { now: T0 + 1, purgeAt: T0 + 100 }),
            store.createAccessKey(key, 2),
          ]);
          expect(recycled.status).toBe('fulfilled');
          expect(await store.getUserById(account.accountId, user.userId)).toBeUndefined();
          expect(await store.getAccessKey(key.accessKeyId)).toBeUndefined();
          if (created.status === 'fulfilled') {
            expect((recycled as PromiseFulfilledResult<string[] | undefined>).value).toEqual([
              key.accessKeyId,
            ]);
            expect(
              await store.getRecycledAccessKey(account.accountId, key.accessKeyId, T0 + 1),
            ).toMatchObject({
              withUser: true,
            });
          } else {
            expectRejectedWith(created, 'EntityNotExist.User');
            expect((recycled as PromiseFulfilledResult<string[] | undefined>).value).toEqual([]);
          }
        }
      });

      it("refuses a key for an unknown user or another account's user with EntityNotExist.User", async () => {
        const a = await newAccount();
        const b = await newAccount();
        const user = await newUser(a.accountId, 'yara');
        const orphan = keyRecord(a.accountId, generateUserId(cryptoRandom));
        await expectRamkeyError(store.createAccessKey(orphan, 2), 'EntityNotExist.User');
        expect(await store.getAccessKey(orphan.accessKeyId)).toBeUndefined();
        const crossAccount = keyRecord(b.accountId, user.userId);
        await expectRamkeyError(store.createAccessKey(crossAccount, 2), 'EntityNotExist.User');
        expect(await store.getAccessKey(crossAccount.accessKeyId)).toBeUndefined();
      });

      // AccessKey IDs are never reused, not even after the key is deleted, or purged for good.
      it('refuses an AccessKey ID already issued, even a recycled or purged one, with a catalog error', async () => {
        const account = await newAccount();
        const other = await newAccount();
        const recycled = await newKey(account.accountId, null);
        expect(
          await store.recycleAccessKey(account.accountId, null, recycled.accessKeyId, bin(T0 + 1)),
        ).toEqual({
          purged: [],
        });
        const purged = await newKey(account.accountId, null);
        await purgeKey(account.accountId, null, purged.accessKeyId, T0 + 2);
        for (const key of [recycled, purged]) {
          await expectRamkeyError(
            store.createAccessKey({ ...key, accountId: other.accountId }, 2),
            'InternalError',
          );
          expect(await store.getAccessKey(key.accessKeyId)).toBeUndefined();
        }
        expect(await store.findAccessKey(account.accountId, purged.accessKeyId)).toMatchObject({
          state: 'purged',
          sealedSecret: '',
        });
      });

      it('changes the status of a live key of the principal', async () => {
        const account = await newAccount();
        const user = await newUser(account.accountId, 'zack');
        const key = await newKey(account.accountId, user.userId);
        expect(
          await store.updateAccessKeyStatus(
            account.accountId,
            user.userId,
            key.accessKeyId,
            'Inactive',
            T0 + 7,
          ),
        ).toBe(true);
        expect(await store.getAccessKey(key.accessKeyId)).toEqual({
          ...key,
          status: 'Inactive',
          updatedAt: T0 + 7,
        });
        expect(
          await store.updateAccessKeyStatus(
            account.accountId,
            user.userId,
            key.accessKeyId,
            'Active',
            T0 + 8,
          ),
        ).toBe(true);
        expect((await store.getAccessKey(key.accessKeyId))?.status).toBe('Active');
      });

      // Scoping: another account's, another principal's or a deleted key is "no such key".
      it('answers false and changes nothing when the key is not a live key of that principal', async () => {
        const a = await newAccount();
        const b = await newAccount();
        const user = await newUser(a.accountId, 'amy');
        const sibling = await newUser(a.accountId, 'ben');
        const key = await newKey(a.accountId, user.userId);
        const rootKey = await newKey(a.accountId, null);
        const id = key.accessKeyId;
        expect(await store.updateAccessKeyStatus(b.accountId, user.userId, id, 'Inactive', T0 + 1)).toBe(
          false,
        );
        expect(await store.updateAccessKeyStatus(a.accountId, sibling.userId, id, 'Inactive', T0 + 1)).toBe(
          false,
        );
        expect(await store.updateAccessKeyStatus(a.accountId, null, id, 'Inactive', T0 + 1)).toBe(false);
        expect(
          await store.updateAccessKeyStatus(
            a.accountId,
            user.userId,
            rootKey.accessKeyId,
            'Inactive',
            T0 + 1,
          ),
        ).toBe(false);
        expect(
          await store.updateAccessKeyStatus(
            a.accountId,
            user.userId,
            generateAccessKeyId(cryptoRandom),
            'Inactive',
            T0,
          ),
        ).toBe(false);
        expect(await store.recycleAccessKey(b.accountId, user.userId, id, bin(T0 + 1))).toBeUndefined();
        expect(await store.recycleAccessKey(a.accountId, sibling.userId, id, bin(T0 + 1))).toBeUndefined();
        expect(await store.recycleAccessKey(a.accountId, null, id, bin(T0 + 1))).toBeUndefined();
        expect(await store.getAccessKey(id)).toEqual(key);
        expect(await store.getAccessKey(rootKey.accessKeyId)).toEqual(rootKey);
      });

      it('hides a recycled key from every read of live keys and frees its slot', async () => {
        const account = await newAccount();
        const user = await newUser(account.accountId, 'cleo');
        const k1 = await newKey(account.accountId, user.userId, T0);
        const k2 = await newKey(account.accountId, user.userId, T0 + 1);
        await expectRamkeyError(
          store.createAccessKey(keyRecord(account.accountId, user.userId), 2),
          'LimitExceeded.User.AccessKey',
        );

        expect(
          await store.recycleAccessKey(account.accountId, user.userId, k1.accessKeyId, bin(T0 + 10)),
        ).toEqual({ purged: [] });
        expect(await store.getAccessKey(k1.accessKeyId)).toBeUndefined();
        expect(await store.listAccessKeys(account.accountId, user.userId)).toEqual([k2]);
        expect(await store.countAccessKeys(account.accountId)).toBe(1);
        // Deleted once is deleted: no second delete, no status change.
        expect(
          await store.recycleAccessKey(account.accountId, user.userId, k1.accessKeyId, bin(T0 + 11)),
        ).toBeUndefined();
        expect(
          await store.updateAccessKeyStatus(
            account.accountId,
            user.userId,
            k1.accessKeyId,
            'Active',
            T0 + 11,
          ),
        ).toBe(false);

        const k3 = await newKey(account.accountId, user.userId, T0 + 20);
        expect(await store.listAccessKeys(account.accountId, user.userId)).toEqual([k2, k3]);
      });

      it('counts the live keys of a whole account, root and users', async () => {
        const account = await newAccount();
        const user = await newUser(account.accountId, 'dina');
        await newKey(account.accountId, null);
        await newKey(account.accountId, user.userId);
        const gone = await newKey(account.accountId, user.userId);
        await store.recycleAccessKey(account.accountId, user.userId, gone.accessKeyId, bin(T0 + 1));
        const other = await newAccount();
        await newKey(other.accountId, null);
        expect(await store.countAccessKeys(account.accountId)).toBe(2);
        expect(await store.countAccessKeys(other.accountId)).toBe(1);
      });
    });

    describe('last used', () => {
      const recordLastUsed = (lastUsed: LastUsedUpdate[]) =>
        store.recordActivity({ events: [], lastUsed, keyUsage: [] });

      it('applies a batch of updates to many keys', async () => {
        const account = await newAccount();
        const k1 = await newKey(account.accountId, null);
        const k2 = await newKey(account.accountId, null);
        await recordLastUsed([
          {
            accessKeyId: k1.accessKeyId,
            lastUsedAt: T0 + 100,
            lastUsedService: 'ram',
            lastUsedIp: '203.0.113.7',
          },
          {
            accessKeyId: k2.accessKeyId,
            lastUsedAt: T0 + 200,
            lastUsedService: 'ims',
            lastUsedIp: '2001:db8::1',
          },
          // An unknown (or since purged) key in the batch must not sink the others.
          {
            accessKeyId: generateAccessKeyId(cryptoRandom),
            lastUsedAt: T0,
            lastUsedService: 'sts',
            lastUsedIp: '198.51.100.1',
          },
        ]);
        expect(await store.getAccessKey(k1.accessKeyId)).toMatchObject({
          lastUsedAt: T0 + 100,
          lastUsedService: 'ram',
          lastUsedIp: '203.0.113.7',
          updatedAt: k1.updatedAt,
        });
        expect(await store.getAccessKey(k2.accessKeyId)).toMatchObject({
          lastUsedAt: T0 + 200,
          lastUsedService: 'ims',
          lastUsedIp: '2001:db8::1',
        });
      });

      it('never moves lastUsedAt backwards, across batches or within one', async () => {
        const account = await newAccount();
        const key = await newKey(account.accountId, null);
        const id = key.accessKeyId;
        await recordLastUsed([
          { accessKeyId: id, lastUsedAt: T0 + 500, lastUsedService: 'ram', lastUsedIp: '10.0.0.5' },
        ]);
        await recordLastUsed([
          { accessKeyId: id, lastUsedAt: T0 + 400, lastUsedService: 'ims', lastUsedIp: '10.0.0.4' },
        ]);
        expect(await store.getAccessKey(id)).toMatchObject({
          lastUsedAt: T0 + 500,
          lastUsedService: 'ram',
          lastUsedIp: '10.0.0.5',
        });

        await recordLastUsed([
          { accessKeyId: id, lastUsedAt: T0 + 900, lastUsedService: 'sts', lastUsedIp: '10.0.0.9' },
          { accessKeyId: id, lastUsedAt: T0 + 700, lastUsedService: 'ims', lastUsedIp: '10.0.0.7' },
        ]);
        expect(await store.getAccessKey(id)).toMatchObject({
          lastUsedAt: T0 + 900,
          lastUsedService: 'sts',
          lastUsedIp: '10.0.0.9',
        });
      });

      it('keeps the latest of several updates to one key in a batch, whatever their order', async () => {
        const account = await newAccount();
        const rising = await newKey(account.accountId, null);
        const falling = await newKey(account.accountId, null);
        const use = (accessKeyId: string, at: number, ip: string): LastUsedUpdate => ({
          accessKeyId,
          lastUsedAt: T0 + at,
          lastUsedService: 'ram',
          lastUsedIp: ip,
        });
        await recordLastUsed([
          use(rising.accessKeyId, 700, '10.0.0.7'),
          use(falling.accessKeyId, 900, '10.0.0.9'),
          use(rising.accessKeyId, 900, '10.0.0.9'),
          use(falling.accessKeyId, 700, '10.0.0.7'),
          // Of two uses at one instant, the first applied wins, as it would applied one at a time.
          use(rising.accessKeyId, 900, '10.0.0.99'),
        ]);
        for (const key of [rising, falling]) {
          expect(await store.getAccessKey(key.accessKeyId)).toMatchObject({
            lastUsedAt: T0 + 900,
            lastUsedIp: '10.0.0.9',
          });
        }
      });

      it('applies a batch larger than one statement takes, to every key', async () => {
        const account = await newAccount();
        const keys: AccessKeyRecord[] = [];
        for (let i = 0; i < 600; i++) keys.push(await newKey(account.accountId, null, T0, 600));
        await recordLastUsed(
          keys.map((k, i) => ({
            accessKeyId: k.accessKeyId,
            lastUsedAt: T0 + i,
            lastUsedService: 'ims',
            lastUsedIp: `10.0.${Math.floor(i / 256)}.${i % 256}`,
          })),
        );
        const listed = await store.listAccessKeys(account.accountId, null);
        const byId = new Map(listed.map((k) => [k.accessKeyId, k]));
        keys.forEach((k, i) => {
          expect(byId.get(k.accessKeyId)).toMatchObject({ lastUsedAt: T0 + i, lastUsedService: 'ims' });
        });
      });

      it('accepts an empty batch', async () => {
        await recordLastUsed([]);
      });
    });
  });
}
