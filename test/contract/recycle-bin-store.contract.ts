// The recycle bin's contract (AccessKeyStore and UserStore, src/store/store.ts): keys and users moved
// to the bin, listed, restored, purged by hand and when due; the names binned users hold; idle keys;
// and the job leases. Every adapter must pass it.
import { beforeAll, describe, expect, it } from 'vitest';
import { generateAccessKeyId, generateUserId } from '../../src/core/keys/key-id.js';
import { cryptoRandom } from '../../src/core/random.js';
import type { AccessKeyRecord, RecycledAccessKey, Store, UserRecord } from '../../src/store/store.js';
import {
  DAY,
  T0,
  bin,
  entry,
  expectRamkeyError,
  outcomes,
  type ContractStore,
  useContractStore,
} from './contract-fixtures.js';

/** How a key recycled at `at` (one by one, unless `withUser`) is listed in the bin. */
function inBin(key: AccessKeyRecord, at: number, withUser = false): RecycledAccessKey {
  return {
    accessKeyId: key.accessKeyId,
    accountId: key.accountId,
    userId: key.userId,
    createdAt: key.createdAt,
    recycledAt: at,
    purgeAt: at + 30 * DAY,
    withUser,
  };
}

export function describeRecycleBinStoreContract(name: string, makeStore: () => Promise<ContractStore>): void {
  describe(`recycle bin contract: ${name}`, () => {
    const fixtures = useContractStore(makeStore);
    const { newAccount, newUser, newKey, newGroup, membershipOf } = fixtures;
    let store: Store;

    beforeAll(() => {
      store = fixtures.store;
    });

    describe('AccessKeys in the recycle bin', () => {
      it('keeps a deleted key, with its dates and secret, out of use and out of the limit', async () => {
        const account = await newAccount();
        const user = await newUser(account.accountId, 'bin-a');
        const key = await newKey(account.accountId, user.userId, T0);
        const other = await newKey(account.accountId, user.userId, T0 + 1);
        expect(
          await store.recycleAccessKey(account.accountId, user.userId, key.accessKeyId, bin(T0 + 10)),
        ).toEqual({ purged: [] });
        expect(await store.getAccessKey(key.accessKeyId)).toBeUndefined();
        expect(await store.listAccessKeys(account.accountId, user.userId)).toEqual([other]);
        expect(await store.listRecycledAccessKeys(account.accountId, user.userId, T0 + 10)).toEqual([
          inBin(key, T0 + 10),
        ]);
        expect(await store.getRecycledAccessKey(account.accountId, key.accessKeyId, T0 + 10)).toEqual(
          inBin(key, T0 + 10),
        );
        // The sealed secret stays: the key may come back.
        expect((await store.findAccessKey(account.accountId, key.accessKeyId))?.sealedSecret).toBe(
          key.sealedSecret,
        );
        // Its slot is free again.
        await newKey(account.accountId, user.userId, T0 + 11);
      });

      // Another account's key, or another principal's, is not there at all.
      it("finds nothing of another account's or another principal's bin", async () => {
        const a = await newAccount();
        const b = await newAccount();
        const user = await newUser(a.accountId, 'bin-b');
        const key = await newKey(a.accountId, user.userId);
        await store.recycleAccessKey(a.accountId, user.userId, key.accessKeyId, bin(T0 + 1));
        expect(await store.getRecycledAccessKey(b.accountId, key.accessKeyId, T0 + 1)).toBeUndefined();
        expect(await store.listRecycledAccessKeys(b.accountId, user.userId, T0 + 1)).toEqual([]);
        expect(await store.listRecycledAccessKeys(a.accountId, null, T0 + 1)).toEqual([]);
        expect(await store.restoreAccessKey(b.accountId, user.userId, key.accessKeyId, T0 + 2, 2)).toBe(
          false,
        );
        expect(await store.restoreAccessKey(a.accountId, null, key.accessKeyId, T0 + 2, 2)).toBe(false);
        expect(await store.purgeAccessKey(b.accountId, user.userId, key.accessKeyId, T0 + 2)).toBe(false);
        expect(await store.purgeAccessKey(a.accountId, null, key.accessKeyId, T0 + 2)).toBe(false);
        expect(await store.getRecycledAccessKey(a.accountId, key.accessKeyId, T0 + 2)).toEqual(
          inBin(key, T0 + 1),
        );
      });

      it('keeps 3 keys deleted one by one per principal: a 4th purges the oldest deleted for good', async () => {
        const account = await newAccount();
        const user = await newUser(account.accountId, 'bin-c');
        const recycled: AccessKeyRecord[] = [];
        // Created newest first, deleted oldest first: the bin goes by deletion, not creation.
        for (let i = 0; i < 4; i++) {
          const key = await newKey(account.accountId, user.userId, T0 + 100 - i);
          const outcome = await store.recycleAccessKey(
            account.accountId,
            user.userId,
            key.accessKeyId,
            bin(T0 + i),
          );
          recycled.push(key);
          const first = recycled[0] as AccessKeyRecord;
          expect(outcome).toEqual({ purged: i < 3 ? [] : [first.accessKeyId] });
        }
        const [first, ...rest] = recycled as [AccessKeyRecord, ...AccessKeyRecord[]];
        expect(await store.listRecycledAccessKeys(account.accountId, user.userId, T0 + 4)).toEqual(
          rest.map((k, i) => inBin(k, T0 + 1 + i)),
        );
        expect(await store.findAccessKey(account.accountId, first.accessKeyId)).toMatchObject({
          state: 'purged',
          sealedSecret: '',
        });
        expect(
          await store.restoreAccessKey(account.accountId, user.userId, first.accessKeyId, T0 + 5, 2),
        ).toBe(false);
        // The root's bin is its own.
        const rootKey = await newKey(account.accountId, null);
        await store.recycleAccessKey(account.accountId, null, rootKey.accessKeyId, bin(T0 + 9));
        expect(await store.listRecycledAccessKeys(account.accountId, null, T0 + 9)).toEqual([
          inBin(rootKey, T0 + 9),
        ]);
        expect(await store.listRecycledAccessKeys(account.accountId, user.userId, T0 + 9)).toHaveLength(3);
      });

      it('keeps the key just deleted when deletion times tie', async () => {
        const account = await newAccount();
        const keys = [];
        for (let i = 0; i < 4; i++) keys.push(await newKey(account.accountId, null, T0, 5));
        for (const key of keys)
          await store.recycleAccessKey(account.accountId, null, key.accessKeyId, bin(T0));
        const left = (await store.listRecycledAccessKeys(account.accountId, null, T0)).map(
          (k) => k.accessKeyId,
        );
        expect(left).toHaveLength(3);
        expect(left).toContain(keys[3]?.accessKeyId);
      });

      it('restores a key Inactive, and refuses it while its principal has its live keys', async () => {
        const account = await newAccount();
        const user = await newUser(account.accountId, 'bin-d');
        const key = await newKey(account.accountId, user.userId, T0);
        await store.recycleAccessKey(account.accountId, user.userId, key.accessKeyId, bin(T0 + 1));
        const a = await newKey(account.accountId, user.userId, T0 + 2);
        const b = await newKey(account.accountId, user.userId, T0 + 3);
        await expectRamkeyError(
          store.restoreAccessKey(account.accountId, user.userId, key.accessKeyId, T0 + 4, 2),
          'LimitExceeded.User.AccessKey',
        );
        // Refused, it stays in the bin as it was.
        expect(await store.getRecycledAccessKey(account.accountId, key.accessKeyId, T0 + 4)).toEqual(
          inBin(key, T0 + 1),
        );
        expect(
          await store.recycleAccessKey(account.accountId, user.userId, a.accessKeyId, bin(T0 + 5)),
        ).toBeDefined();
        expect(await store.restoreAccessKey(account.accountId, user.userId, key.accessKeyId, T0 + 6, 2)).toBe(
          true,
        );
        expect(await store.getAccessKey(key.accessKeyId)).toEqual({
          ...key,
          status: 'Inactive',
          updatedAt: T0 + 6,
        });
        expect(
          (await store.listAccessKeys(account.accountId, user.userId)).map((k) => k.accessKeyId),
        ).toEqual([key.accessKeyId, b.accessKeyId]);
        expect(await store.getRecycledAccessKey(account.accountId, key.accessKeyId, T0 + 6)).toBeUndefined();
        expect(await store.restoreAccessKey(account.accountId, user.userId, key.accessKeyId, T0 + 7, 2)).toBe(
          false,
        );
      });

      // Two restores racing for the last free slot: never both.
      it('never lets two concurrent restores pass the live-key limit', async () => {
        const account = await newAccount();
        const user = await newUser(account.accountId, 'bin-e');
        const keys = [
          await newKey(account.accountId, user.userId),
          await newKey(account.accountId, user.userId),
        ];
        for (const key of keys) {
          await store.recycleAccessKey(account.accountId, user.userId, key.accessKeyId, bin(T0 + 1));
        }
        await newKey(account.accountId, user.userId);
        const results = await Promise.allSettled(
          keys.map((k) => store.restoreAccessKey(account.accountId, user.userId, k.accessKeyId, T0 + 2, 2)),
        );
        expect(outcomes(results)).toEqual({ ok: 1, 'LimitExceeded.User.AccessKey': 1 });
        expect(await store.listAccessKeys(account.accountId, user.userId)).toHaveLength(2);
      });

      it('purges a key from the bin for good, erasing its secret, and nothing else', async () => {
        const account = await newAccount();
        const key = await newKey(account.accountId, null);
        expect(await store.purgeAccessKey(account.accountId, null, key.accessKeyId, T0 + 1)).toBe(false);
        expect(await store.getAccessKey(key.accessKeyId)).toEqual(key);
        await store.recycleAccessKey(account.accountId, null, key.accessKeyId, bin(T0 + 1));
        expect(await store.purgeAccessKey(account.accountId, null, key.accessKeyId, T0 + 2)).toBe(true);
        expect(await store.purgeAccessKey(account.accountId, null, key.accessKeyId, T0 + 3)).toBe(false);
        expect(await store.getRecycledAccessKey(account.accountId, key.accessKeyId, T0 + 3)).toBeUndefined();
        expect(await store.restoreAccessKey(account.accountId, null, key.accessKeyId, T0 + 3, 2)).toBe(false);
        expect(await store.findAccessKey(account.accountId, key.accessKeyId)).toEqual({
          ...key,
          state: 'purged',
          sealedSecret: '',
          deletedAt: T0 + 1,
          updatedAt: T0 + 2,
        });
      });

      it('treats a key past its DeleteDate as gone: not listed, not restorable, due for the purge job', async () => {
        const account = await newAccount();
        const key = await newKey(account.accountId, null);
        await store.recycleAccessKey(account.accountId, null, key.accessKeyId, bin(T0));
        const due = T0 + 30 * DAY;
        expect(await store.listRecycledAccessKeys(account.accountId, null, due - 1)).toHaveLength(1);
        expect(await store.listRecycledAccessKeys(account.accountId, null, due)).toEqual([]);
        expect(await store.getRecycledAccessKey(account.accountId, key.accessKeyId, due)).toBeUndefined();
        expect(await store.restoreAccessKey(account.accountId, null, key.accessKeyId, due, 2)).toBe(false);
        const listed = (await store.listDueAccessKeys(due, 1000)).map((k) => k.accessKeyId);
        expect(listed).toContain(key.accessKeyId);
        expect((await store.listDueAccessKeys(due - 1, 1000)).map((k) => k.accessKeyId)).not.toContain(
          key.accessKeyId,
        );
        expect(await store.purgeAccessKey(account.accountId, null, key.accessKeyId, due)).toBe(true);
        expect((await store.listDueAccessKeys(due, 1000)).map((k) => k.accessKeyId)).not.toContain(
          key.accessKeyId,
        );
      });

      it('lists due keys earliest first, a page at a time', async () => {
        const account = await newAccount();
        const late = await newKey(account.accountId, null, T0, 5);
        const early = await newKey(account.accountId, null, T0, 5);
        await store.recycleAccessKey(account.accountId, null, late.accessKeyId, bin(T0 - 10 * DAY));
        await store.recycleAccessKey(account.accountId, null, early.accessKeyId, bin(T0 - 20 * DAY));
        const mine = (await store.listDueAccessKeys(T0 + 30 * DAY, 1000)).filter(
          (k) => k.accountId === account.accountId,
        );
        expect(mine.map((k) => k.accessKeyId)).toEqual([early.accessKeyId, late.accessKeyId]);
        expect(await store.listDueAccessKeys(T0 + 30 * DAY, 1)).toHaveLength(1);
      });
    });

    describe('users in the recycle bin', () => {
      it("holds a binned user's name until its purge is due, against new users and renames", async () => {
        const account = await newAccount();
        const user = await newUser(account.accountId, 'Held');
        await store.recycleUser(account.accountId, user.userId, entry(T0 + 1));
        const fresh = (name: string, at: number): UserRecord => ({
          ...user,
          userId: generateUserId(cryptoRandom),
          userName: name,
          createdAt: at,
          updatedAt: at,
        });
        await expectRamkeyError(store.createUser(fresh('held', T0 + 2)), 'EntityAlreadyExists.User');
        const other = await newUser(account.accountId, 'other-name');
        await expectRamkeyError(
          store.updateUser(account.accountId, 'other-name', { userName: 'HELD', updatedAt: T0 + 3 }),
          'EntityAlreadyExists.User',
        );
        expect(await store.getUserById(account.accountId, other.userId)).toEqual(other);
        // Another account's bin holds nothing here.
        const elsewhere = await newAccount();
        await newUser(elsewhere.accountId, 'Held');
        // Once the purge is due, the name is free, even before the purge job has run.
        const due = T0 + 1 + 30 * DAY;
        const successor = fresh('held', due);
        await store.createUser(successor);
        expect(await store.getUserByName(account.accountId, 'HELD')).toEqual(successor);
        // ... and the successor may go to the bin while the old row still waits for the job.
        expect(await store.recycleUser(account.accountId, successor.userId, entry(due + 1))).toEqual([]);
        expect(await store.getRecycledUserByName(account.accountId, 'held', due + 1)).toMatchObject({
          userId: successor.userId,
        });
      });

      it('lists binned users by name, a page at a time, without those past their DeleteDate', async () => {
        const account = await newAccount();
        for (const [name, at] of [
          ['r-c', T0 + 3],
          ['r-a', T0 + 1],
          ['R-b', T0 + 2],
          ['r-old', T0 - 40 * DAY],
        ] as const) {
          const user = await newUser(account.accountId, name);
          await store.recycleUser(account.accountId, user.userId, entry(at));
        }
        await newUser(account.accountId, 'r-live');
        const first = await store.listRecycledUsers(account.accountId, { limit: 2, now: T0 + 4 });
        expect(first.items.map((u) => u.userName)).toEqual(['r-a', 'R-b']);
        expect(first.items[0]).toMatchObject({ recycledAt: T0 + 1, purgeAt: T0 + 1 + 30 * DAY });
        const second = await store.listRecycledUsers(account.accountId, {
          after: first.nextMarker ?? '',
          limit: 2,
          now: T0 + 4,
        });
        expect(second.items.map((u) => u.userName)).toEqual(['r-c']);
        expect(second.nextMarker).toBeUndefined();
        expect(await store.getRecycledUserByName(account.accountId, 'r-old', T0 + 4)).toBeUndefined();
        expect(
          (await store.listRecycledUsers(account.accountId, { limit: 10, now: T0 + 31 * DAY })).items,
        ).toEqual([]);
      });

      it('restores a user with the keys that went with it, Inactive; keys deleted before stay in the bin', async () => {
        const account = await newAccount();
        const user = await newUser(account.accountId, 'bin-f');
        const before = await newKey(account.accountId, user.userId, T0);
        await store.recycleAccessKey(account.accountId, user.userId, before.accessKeyId, bin(T0 + 1));
        const withIt = await newKey(account.accountId, user.userId, T0 + 2);
        expect(await store.recycleUser(account.accountId, user.userId, entry(T0 + 3))).toEqual([
          withIt.accessKeyId,
        ]);
        // A key of a user in the bin comes back with the user only.
        await expectRamkeyError(
          store.restoreAccessKey(account.accountId, user.userId, before.accessKeyId, T0 + 4, 2),
          'EntityNotExist.User',
        );
        expect(await store.restoreUser(account.accountId, user.userId, T0 + 5)).toEqual({
          user: { ...user, updatedAt: T0 + 5 },
          accessKeyIds: [withIt.accessKeyId],
        });
        expect(await store.getUserByName(account.accountId, 'bin-f')).toEqual({ ...user, updatedAt: T0 + 5 });
        expect(await store.getRecycledUser(account.accountId, user.userId, T0 + 5)).toBeUndefined();
        expect(await store.listAccessKeys(account.accountId, user.userId)).toEqual([
          { ...withIt, status: 'Inactive', updatedAt: T0 + 5 },
        ]);
        expect(await store.listRecycledAccessKeys(account.accountId, user.userId, T0 + 5)).toEqual([
          inBin(before, T0 + 1),
        ]);
        expect(await store.restoreUser(account.accountId, user.userId, T0 + 6)).toBeUndefined();
      });

      it("restores nothing of another account's bin, nor a user past its DeleteDate", async () => {
        const a = await newAccount();
        const b = await newAccount();
        const user = await newUser(a.accountId, 'bin-g');
        await store.recycleUser(a.accountId, user.userId, entry(T0));
        expect(await store.getRecycledUser(b.accountId, user.userId, T0)).toBeUndefined();
        expect(await store.restoreUser(b.accountId, user.userId, T0)).toBeUndefined();
        expect(await store.purgeRecycledUser(b.accountId, user.userId, T0)).toBeUndefined();
        expect(await store.restoreUser(a.accountId, user.userId, T0 + 30 * DAY)).toBeUndefined();
        expect(await store.getUserById(a.accountId, user.userId)).toBeUndefined();
        expect((await store.listDueUsers(T0 + 30 * DAY, 1000)).map((u) => u.userId)).toContain(user.userId);
        expect((await store.listDueUsers(T0 + 30 * DAY - 1, 1000)).map((u) => u.userId)).not.toContain(
          user.userId,
        );
      });

      it('purges a binned user with every key of it still in the bin', async () => {
        const account = await newAccount();
        const user = await newUser(account.accountId, 'bin-h');
        const before = await newKey(account.accountId, user.userId, T0);
        await store.recycleAccessKey(account.accountId, user.userId, before.accessKeyId, bin(T0 + 1));
        const withIt = await newKey(account.accountId, user.userId, T0 + 2);
        await store.recycleUser(account.accountId, user.userId, entry(T0 + 3));
        expect((await store.purgeRecycledUser(account.accountId, user.userId, T0 + 4))?.sort()).toEqual(
          [before.accessKeyId, withIt.accessKeyId].sort(),
        );
        for (const key of [before, withIt]) {
          expect(await store.findAccessKey(account.accountId, key.accessKeyId)).toMatchObject({
            state: 'purged',
            sealedSecret: '',
          });
        }
        expect(await store.getRecycledUser(account.accountId, user.userId, T0 + 4)).toBeUndefined();
        expect(await store.purgeRecycledUser(account.accountId, user.userId, T0 + 5)).toBeUndefined();
        // Its name is free at once.
        await newUser(account.accountId, 'bin-h');
      });

      it('leaves group members and attachments to RAM: a user in a group cannot go to the bin', async () => {
        const account = await newAccount();
        const user = await newUser(account.accountId, 'bin-i');
        const group = await newGroup(account.accountId, 'bin-group');
        await store.addUserToGroup(membershipOf(user, group), 10);
        await expectRamkeyError(
          store.recycleUser(account.accountId, user.userId, entry(T0)),
          'DeleteConflict.User.Group',
        );
        expect(await store.getRecycledUser(account.accountId, user.userId, T0)).toBeUndefined();
      });
    });

    describe('idle keys', () => {
      it("lists Active live keys unused for their account's MaxIdleDaysForAccessKeys, never-used ones from creation", async () => {
        const account = await newAccount();
        const now = T0 + 1000 * DAY;
        const never = await newKey(account.accountId, null, now - 730 * DAY, 10);
        const young = await newKey(account.accountId, null, now - 729 * DAY, 10);
        const usedLate = await newKey(account.accountId, null, now - 900 * DAY, 10);
        const usedEarly = await newKey(account.accountId, null, now - 900 * DAY, 10);
        const inactive = await newKey(account.accountId, null, now - 900 * DAY, 10);
        const recycled = await newKey(account.accountId, null, now - 900 * DAY, 10);
        await store.recordActivity({
          events: [],
          keyUsage: [],
          lastUsed: [
            {
              accessKeyId: usedLate.accessKeyId,
              lastUsedAt: now - 729 * DAY,
              lastUsedService: 'Ram',
              lastUsedIp: '192.0.2.1',
            },
            {
              accessKeyId: usedEarly.accessKeyId,
              lastUsedAt: now - 731 * DAY,
              lastUsedService: 'Ram',
              lastUsedIp: '192.0.2.1',
            },
          ],
        });
        await store.updateAccessKeyStatus(
          account.accountId,
          null,
          inactive.accessKeyId,
          'Inactive',
          now - 800 * DAY,
        );
        await store.recycleAccessKey(account.accountId, null, recycled.accessKeyId, bin(now - DAY));
        const idle = (await store.listIdleAccessKeys(now, 730, 1000)).filter(
          (k) => k.accountId === account.accountId,
        );
        expect(idle).toEqual([
          {
            accessKeyId: usedEarly.accessKeyId,
            accountId: account.accountId,
            userId: null,
            createdAt: usedEarly.createdAt,
            lastUsedAt: now - 731 * DAY,
            maxIdleDays: 730,
          },
          {
            accessKeyId: never.accessKeyId,
            accountId: account.accountId,
            userId: null,
            createdAt: never.createdAt,
            lastUsedAt: null,
            maxIdleDays: 730,
          },
        ]);
        expect(idle.map((k) => k.accessKeyId)).not.toContain(young.accessKeyId);

        // The account's own setting decides.
        await store.setSecurityPreference(account.accountId, { maxIdleDaysForAccessKeys: 90 });
        const shorter = (await store.listIdleAccessKeys(now, 730, 1000)).filter(
          (k) => k.accountId === account.accountId,
        );
        expect(shorter.map((k) => k.accessKeyId).sort()).toEqual(
          [never, young, usedLate, usedEarly].map((k) => k.accessKeyId).sort(),
        );
        expect(shorter.every((k) => k.maxIdleDays === 90)).toBe(true);
      });

      it('disables an idle key only while it is still Active, live and unused since the cutoff', async () => {
        const account = await newAccount();
        const now = T0 + 1000 * DAY;
        const key = await newKey(account.accountId, null, now - 800 * DAY);
        const cutoff = now - 730 * DAY;
        await store.recordActivity({
          events: [],
          keyUsage: [],
          lastUsed: [
            {
              accessKeyId: key.accessKeyId,
              lastUsedAt: cutoff + 1,
              lastUsedService: 'Ram',
              lastUsedIp: '192.0.2.1',
            },
          ],
        });
        expect(await store.disableIdleAccessKey(key.accessKeyId, cutoff, now)).toBe(false);
        expect((await store.getAccessKey(key.accessKeyId))?.status).toBe('Active');
        expect(await store.disableIdleAccessKey(key.accessKeyId, cutoff + 1, now)).toBe(true);
        expect(await store.getAccessKey(key.accessKeyId)).toMatchObject({
          status: 'Inactive',
          updatedAt: now,
        });
        expect(await store.disableIdleAccessKey(key.accessKeyId, cutoff + 1, now)).toBe(false);
        expect(await store.disableIdleAccessKey(generateAccessKeyId(cryptoRandom), now, now)).toBe(false);
      });
    });

    describe('job leases', () => {
      it('gives a job to one holder at a time, until its lease expires', async () => {
        const job = `job-${cryptoRandom.uuid()}`;
        expect(await store.acquireJobLease(job, 'node-a', T0, T0 + 100)).toBe(true);
        expect(await store.acquireJobLease(job, 'node-b', T0 + 99, T0 + 200)).toBe(false);
        // Not even its holder runs it again before it expires.
        expect(await store.acquireJobLease(job, 'node-a', T0 + 99, T0 + 200)).toBe(false);
        expect(await store.acquireJobLease(job, 'node-b', T0 + 100, T0 + 200)).toBe(true);
        expect(await store.acquireJobLease(`${job}-other`, 'node-a', T0 + 100, T0 + 200)).toBe(true);
      });

      it('lets exactly one of many concurrent takers have it', async () => {
        const job = `job-${cryptoRandom.uuid()}`;
        const results = await Promise.all(
          Array.from({ length: 8 }, (_, i) => store.acquireJobLease(job, `node-${i}`, T0, T0 + 100)),
        );
        expect(results.filter(Boolean)).toHaveLength(1);
      });

      it('lets its holder renew it, and nobody else until it expires', async () => {
        const job = `job-${cryptoRandom.uuid()}`;
        expect(await store.renewJobLease(job, 'node-a', T0, T0 + 100)).toBe(true);
        expect(await store.renewJobLease(job, 'node-b', T0 + 50, T0 + 150)).toBe(false);
        // Renewed before it expired: held past the first expiry.
        expect(await store.renewJobLease(job, 'node-a', T0 + 99, T0 + 199)).toBe(true);
        expect(await store.renewJobLease(job, 'node-b', T0 + 150, T0 + 250)).toBe(false);
        expect(await store.acquireJobLease(job, 'node-b', T0 + 198, T0 + 300)).toBe(false);
        // Not renewed in time: another takes it, and the old holder's renewal then fails.
        expect(await store.renewJobLease(job, 'node-b', T0 + 199, T0 + 299)).toBe(true);
        expect(await store.renewJobLease(job, 'node-a', T0 + 200, T0 + 300)).toBe(false);
        // A lease taken by a run is renewable by that holder as well.
        const run = `${job}-run`;
        expect(await store.acquireJobLease(run, 'node-a', T0, T0 + 100)).toBe(true);
        expect(await store.renewJobLease(run, 'node-a', T0 + 1, T0 + 200)).toBe(true);
        expect(await store.acquireJobLease(run, 'node-b', T0 + 150, T0 + 300)).toBe(false);
      });

      it('gives the lease up on release, to its holder only, so that another takes it at once', async () => {
        const job = `job-${cryptoRandom.uuid()}`;
        expect(await store.renewJobLease(job, 'node-a', T0, T0 + 100)).toBe(true);
        expect(await store.releaseJobLease(job, 'node-b')).toBe(false);
        expect(await store.renewJobLease(job, 'node-b', T0 + 1, T0 + 101)).toBe(false);
        expect(await store.releaseJobLease(job, 'node-a')).toBe(true);
        expect(await store.releaseJobLease(job, 'node-a')).toBe(false);
        expect(await store.renewJobLease(job, 'node-b', T0 + 2, T0 + 102)).toBe(true);
        // Released, the daily kind of lease is free again too.
        expect(await store.releaseJobLease(job, 'node-b')).toBe(true);
        expect(await store.acquireJobLease(job, 'node-a', T0 + 3, T0 + 103)).toBe(true);
      });

      it('lets exactly one of many concurrent renewers have a free lease', async () => {
        const job = `job-${cryptoRandom.uuid()}`;
        const results = await Promise.all(
          Array.from({ length: 8 }, (_, i) => store.renewJobLease(job, `node-${i}`, T0, T0 + 100)),
        );
        expect(results.filter(Boolean)).toHaveLength(1);
      });
    });
  });
}
