// describeStoreContract: the one suite every Store adapter must pass, the rules of src/store/store.ts as tests.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ErrorCode } from '../../src/core/errors/catalog.js';
import { RamkeyError } from '../../src/core/errors/ramkey-error.js';
import { generateAccessKeyId, generateAccountId, generateUserId } from '../../src/core/keys/key-id.js';
import { cryptoRandom } from '../../src/core/random.js';
import type {
  AccessKeyRecord,
  AccountRecord,
  PolicyAttachment,
  Store,
  UserRecord,
} from '../../src/store/store.js';

export interface ContractStore {
  store: Store;
  cleanup(): Promise<void>;
}

// Instants past 2^31 seconds-as-ms and past 2^32: a 32-bit column anywhere would show up here.
const T0 = 4_102_444_800_000; // 2100-01-01

/** Asserts a catalog error (a RamkeyError with that code), never a raw driver error. */
async function expectRamkeyError(promise: Promise<unknown>, code: ErrorCode): Promise<void> {
  const error: unknown = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error, `expected RamkeyError ${code}`).toBeInstanceOf(RamkeyError);
  expect((error as RamkeyError).code).toBe(code);
}

/**
 * Runs the contract against a fresh store from `makeStore` (one per suite: every test makes its own
 * accounts, users and keys with fresh random IDs, so tests never see each other's rows).
 */
export function describeStoreContract(name: string, makeStore: () => Promise<ContractStore>): void {
  describe(`Store contract: ${name}`, () => {
    let handle: ContractStore | undefined;
    let store: Store;

    beforeAll(async () => {
      handle = await makeStore();
      store = handle.store;
    });

    afterAll(async () => {
      await handle?.cleanup();
    });

    async function newAccount(): Promise<AccountRecord> {
      const account: AccountRecord = {
        accountId: generateAccountId(cryptoRandom),
        loginName: `root-${cryptoRandom.uuid()}`,
        passwordHash: 'scrypt$16384$8$1$c2FsdA==$aGFzaA==',
        createdAt: T0,
      };
      await store.createAccount(account);
      return account;
    }

    async function newUser(accountId: string, userName: string, createdAt = T0): Promise<UserRecord> {
      const user: UserRecord = {
        accountId,
        userId: generateUserId(cryptoRandom),
        userName,
        displayName: `${userName} display`,
        email: `${userName}@example.com`,
        mobilePhone: '86-18600008888',
        comments: `comments of ${userName}`,
        createdAt,
        updatedAt: createdAt,
      };
      await store.createUser(user);
      return user;
    }

    function keyRecord(accountId: string, userId: string | null, createdAt = T0): AccessKeyRecord {
      const accessKeyId = generateAccessKeyId(cryptoRandom);
      return {
        accessKeyId,
        accountId,
        userId,
        status: 'Active',
        sealedSecret: `v1.opaque-to-the-store.${accessKeyId}`,
        createdAt,
        updatedAt: createdAt,
        lastUsedAt: null,
        lastUsedService: null,
        lastUsedIp: null,
        deletedAt: null,
      };
    }

    async function newKey(
      accountId: string,
      userId: string | null,
      createdAt = T0,
      maxLiveKeys = 2,
    ): Promise<AccessKeyRecord> {
      const key = keyRecord(accountId, userId, createdAt);
      await store.createAccessKey(key, maxLiveKeys);
      return key;
    }

    async function listAllUsers(
      accountId: string,
      limit: number,
    ): Promise<{ names: string[]; pages: number }> {
      const names: string[] = [];
      let after: string | undefined;
      let pages = 0;
      do {
        const page = await store.listUsers(accountId, after === undefined ? { limit } : { after, limit });
        pages++;
        expect(page.items.length).toBeLessThanOrEqual(limit);
        names.push(...page.items.map((u) => u.userName));
        after = page.nextMarker;
        if (after !== undefined) expect(page.items).toHaveLength(limit);
      } while (after !== undefined && pages < 100);
      return { names, pages };
    }

    describe('schema', () => {
      it('migrate is idempotent', async () => {
        await store.migrate();
        await store.migrate();
        expect(await store.countAccounts()).toBeGreaterThanOrEqual(0);
      });

      it('names its engine', () => {
        expect(['sqlite', 'postgres']).toContain(store.capabilities.engine);
        expect(typeof store.capabilities.supportsAdvisoryLocks).toBe('boolean');
      });
    });

    describe('accounts', () => {
      it('reads back a created account field for field, with instants as numbers', async () => {
        const account = await newAccount();
        expect(await store.getAccount(account.accountId)).toEqual(account);
      });

      it('answers undefined for an unknown account', async () => {
        expect(await store.getAccount(generateAccountId(cryptoRandom))).toBeUndefined();
      });

      it('counts accounts', async () => {
        const before = await store.countAccounts();
        await newAccount();
        await newAccount();
        expect(await store.countAccounts()).toBe(before + 2);
      });

      it('refuses a duplicate account ID with a catalog error, not a driver error', async () => {
        const account = await newAccount();
        await expectRamkeyError(store.createAccount({ ...account, loginName: 'other' }), 'InternalError');
        expect(await store.getAccount(account.accountId)).toEqual(account);
      });
    });

    describe('users', () => {
      it('reads back a created user by ID and by name, field for field', async () => {
        const account = await newAccount();
        const user = await newUser(account.accountId, 'alice');
        expect(await store.getUserById(account.accountId, user.userId)).toEqual(user);
        expect(await store.getUserByName(account.accountId, 'alice')).toEqual(user);
      });

      it('finds a user by name case-insensitively and keeps the name as written', async () => {
        const account = await newAccount();
        const user = await newUser(account.accountId, 'Alice.Ops');
        expect(await store.getUserByName(account.accountId, 'alice.ops')).toEqual(user);
        expect(await store.getUserByName(account.accountId, 'ALICE.OPS')).toEqual(user);
        expect((await store.getUserByName(account.accountId, 'alice.OPS'))?.userName).toBe('Alice.Ops');
      });

      it('refuses a name taken in the account, in any case, with EntityAlreadyExists.User', async () => {
        const account = await newAccount();
        await newUser(account.accountId, 'bob');
        await expectRamkeyError(newUser(account.accountId, 'bob'), 'EntityAlreadyExists.User');
        await expectRamkeyError(newUser(account.accountId, 'BoB'), 'EntityAlreadyExists.User');
        expect(await store.countUsers(account.accountId)).toBe(1);
      });

      it('lets two accounts each have a user of the same name', async () => {
        const a = await newAccount();
        const b = await newAccount();
        const inA = await newUser(a.accountId, 'carol');
        const inB = await newUser(b.accountId, 'Carol');
        expect(await store.getUserByName(a.accountId, 'carol')).toEqual(inA);
        expect(await store.getUserByName(b.accountId, 'carol')).toEqual(inB);
      });

      // Another account's user must look exactly like a missing one.
      it("does not find another account's user by ID or by name", async () => {
        const a = await newAccount();
        const b = await newAccount();
        const user = await newUser(a.accountId, 'dave');
        expect(await store.getUserById(b.accountId, user.userId)).toBeUndefined();
        expect(await store.getUserByName(b.accountId, 'dave')).toBeUndefined();
      });

      it('applies a patch, keeps the fields it leaves out and returns the updated user', async () => {
        const account = await newAccount();
        const user = await newUser(account.accountId, 'erin');
        const updated = await store.updateUser(account.accountId, 'ERIN', {
          displayName: 'Erin E.',
          comments: '',
          updatedAt: T0 + 5000,
        });
        const expected: UserRecord = { ...user, displayName: 'Erin E.', comments: '', updatedAt: T0 + 5000 };
        expect(updated).toEqual(expected);
        expect(await store.getUserById(account.accountId, user.userId)).toEqual(expected);
      });

      it('answers undefined when updating an unknown user or one of another account', async () => {
        const a = await newAccount();
        const b = await newAccount();
        const user = await newUser(a.accountId, 'frank');
        expect(
          await store.updateUser(a.accountId, 'nobody', { email: 'x@y.z', updatedAt: T0 }),
        ).toBeUndefined();
        expect(
          await store.updateUser(b.accountId, 'frank', { email: 'x@y.z', updatedAt: T0 }),
        ).toBeUndefined();
        expect(await store.getUserById(a.accountId, user.userId)).toEqual(user);
      });

      it('renames a user: the new name finds it, the old one no longer does', async () => {
        const account = await newAccount();
        const user = await newUser(account.accountId, 'grace');
        const renamed = await store.updateUser(account.accountId, 'grace', {
          userName: 'Grace2',
          updatedAt: T0 + 1,
        });
        expect(renamed).toEqual({ ...user, userName: 'Grace2', updatedAt: T0 + 1 });
        expect(await store.getUserByName(account.accountId, 'grace')).toBeUndefined();
        expect((await store.getUserByName(account.accountId, 'grace2'))?.userId).toBe(user.userId);
        // The freed name can be taken again.
        await newUser(account.accountId, 'grace');
      });

      it('lets a user change only the case of its own name', async () => {
        const account = await newAccount();
        const user = await newUser(account.accountId, 'heidi');
        const renamed = await store.updateUser(account.accountId, 'heidi', {
          userName: 'Heidi',
          updatedAt: T0 + 1,
        });
        expect(renamed?.userName).toBe('Heidi');
        expect((await store.getUserByName(account.accountId, 'HEIDI'))?.userId).toBe(user.userId);
      });

      it('refuses a rename onto a taken name with EntityAlreadyExists.User and changes nothing', async () => {
        const account = await newAccount();
        const ivan = await newUser(account.accountId, 'ivan');
        await newUser(account.accountId, 'judy');
        await expectRamkeyError(
          store.updateUser(account.accountId, 'ivan', {
            userName: 'JUDY',
            displayName: 'x',
            updatedAt: T0 + 1,
          }),
          'EntityAlreadyExists.User',
        );
        expect(await store.getUserById(account.accountId, ivan.userId)).toEqual(ivan);
      });

      it('pages through users in name order with markers: no duplicates, no misses', async () => {
        const account = await newAccount();
        const other = await newAccount();
        await newUser(other.accountId, 'a-intruder');
        const names = ['delta', 'Alpha', 'golf', 'charlie', 'Echo', 'bravo', 'foxtrot'];
        for (const n of names) await newUser(account.accountId, n);

        const { names: listed, pages } = await listAllUsers(account.accountId, 3);
        expect(pages).toBe(3);
        expect(listed).toEqual(['Alpha', 'bravo', 'charlie', 'delta', 'Echo', 'foxtrot', 'golf']);
      });

      it('orders names byte by byte after lower-casing, the same on every engine', async () => {
        const account = await newAccount();
        const names = ['a_b', 'a-c', 'A.d', 'a1', 'ab', 'a@e'];
        for (const n of names) await newUser(account.accountId, n);
        const { names: listed } = await listAllUsers(account.accountId, 2);
        const expected = [...names].sort((x, y) => {
          const [kx, ky] = [Buffer.from(x.toLowerCase()), Buffer.from(y.toLowerCase())];
          return Buffer.compare(kx, ky);
        });
        expect(listed).toEqual(expected);
      });

      it('gives no marker when the last page is exactly full', async () => {
        const account = await newAccount();
        for (const n of ['u1', 'u2', 'u3', 'u4']) await newUser(account.accountId, n);
        const first = await store.listUsers(account.accountId, { limit: 2 });
        expect(first.nextMarker).toBeDefined();
        const second = await store.listUsers(account.accountId, { after: first.nextMarker ?? '', limit: 2 });
        expect(second.items.map((u) => u.userName)).toEqual(['u3', 'u4']);
        expect(second.nextMarker).toBeUndefined();
        expect((await store.listUsers(account.accountId, { limit: 4 })).nextMarker).toBeUndefined();
      });

      it('keeps paging correctly when the user a marker points at is deleted meanwhile', async () => {
        const account = await newAccount();
        const users = [];
        for (const n of ['m1', 'm2', 'm3', 'm4', 'm5']) users.push(await newUser(account.accountId, n));
        const first = await store.listUsers(account.accountId, { limit: 2 });
        expect(first.items.map((u) => u.userName)).toEqual(['m1', 'm2']);
        const m2 = users[1];
        if (m2 === undefined) throw new Error('fixture');
        expect(await store.deleteUser(account.accountId, m2.userId)).toBe(true);
        const rest = await store.listUsers(account.accountId, { after: first.nextMarker ?? '', limit: 10 });
        expect(rest.items.map((u) => u.userName)).toEqual(['m3', 'm4', 'm5']);
      });

      it('treats an empty marker as the start', async () => {
        const account = await newAccount();
        await newUser(account.accountId, 'only');
        const page = await store.listUsers(account.accountId, { after: '', limit: 10 });
        expect(page.items.map((u) => u.userName)).toEqual(['only']);
      });

      it('refuses a marker it did not hand out with InvalidParameter.Marker', async () => {
        const account = await newAccount();
        await newUser(account.accountId, 'kim');
        const bad = [
          'not a marker', // not base64url
          'a+b/', // base64, not base64url
          'QR', // decodes, but is not the canonical encoding of what it decodes to
          '_w', // decodes to 0xff, not UTF-8
          'QQ==', // padded
        ];
        for (const after of bad) {
          await expectRamkeyError(
            store.listUsers(account.accountId, { after, limit: 10 }),
            'InvalidParameter.Marker',
          );
        }
      });

      it('counts the users of one account', async () => {
        const a = await newAccount();
        const b = await newAccount();
        await newUser(a.accountId, 'x1');
        await newUser(a.accountId, 'x2');
        await newUser(b.accountId, 'x1');
        expect(await store.countUsers(a.accountId)).toBe(2);
        expect(await store.countUsers(b.accountId)).toBe(1);
        expect(await store.countUsers((await newAccount()).accountId)).toBe(0);
      });

      it('deletes a user with its policy attachments, once', async () => {
        const account = await newAccount();
        const user = await newUser(account.accountId, 'leo');
        await store.attachPolicyToUser({
          accountId: account.accountId,
          userId: user.userId,
          policyType: 'System',
          policyName: 'ReadOnlyAccess',
          attachedAt: T0,
        });
        expect(await store.deleteUser(account.accountId, user.userId)).toBe(true);
        expect(await store.getUserById(account.accountId, user.userId)).toBeUndefined();
        expect(await store.getUserByName(account.accountId, 'leo')).toBeUndefined();
        expect(await store.listPoliciesForUser(account.accountId, user.userId)).toEqual([]);
        expect(await store.countUsers(account.accountId)).toBe(0);
        expect(await store.deleteUser(account.accountId, user.userId)).toBe(false);
      });

      it("answers false when deleting an unknown user or another account's, and keeps it", async () => {
        const a = await newAccount();
        const b = await newAccount();
        const user = await newUser(a.accountId, 'mallory');
        expect(await store.deleteUser(a.accountId, generateUserId(cryptoRandom))).toBe(false);
        expect(await store.deleteUser(b.accountId, user.userId)).toBe(false);
        expect(await store.getUserById(a.accountId, user.userId)).toEqual(user);
      });

      it('refuses to delete a user with live keys (any status) with DeleteConflict.User.AccessKey, changing nothing', async () => {
        const account = await newAccount();
        const user = await newUser(account.accountId, 'nina');
        const attachment: PolicyAttachment = {
          accountId: account.accountId,
          userId: user.userId,
          policyType: 'System',
          policyName: 'AdministratorAccess',
          attachedAt: T0,
        };
        await store.attachPolicyToUser(attachment);
        const key = await newKey(account.accountId, user.userId);
        await store.updateAccessKeyStatus(
          account.accountId,
          user.userId,
          key.accessKeyId,
          'Inactive',
          T0 + 1,
        );

        await expectRamkeyError(
          store.deleteUser(account.accountId, user.userId),
          'DeleteConflict.User.AccessKey',
        );
        // The refusal rolled back the whole delete, attachments included.
        expect(await store.getUserById(account.accountId, user.userId)).toEqual(user);
        expect(await store.listPoliciesForUser(account.accountId, user.userId)).toEqual([attachment]);

        expect(await store.deleteAccessKey(account.accountId, user.userId, key.accessKeyId, T0 + 2)).toBe(
          true,
        );
        expect(await store.deleteUser(account.accountId, user.userId)).toBe(true);
      });
    });

    describe('policy attachments', () => {
      it('lists the policies attached to a user, oldest first, only that user', async () => {
        const account = await newAccount();
        const user = await newUser(account.accountId, 'olga');
        const other = await newUser(account.accountId, 'oscar');
        const later: PolicyAttachment = {
          accountId: account.accountId,
          userId: user.userId,
          policyType: 'Custom',
          policyName: 'ReadBuckets',
          attachedAt: T0 + 10,
        };
        const earlier: PolicyAttachment = {
          ...later,
          policyType: 'System',
          policyName: 'ReadOnlyAccess',
          attachedAt: T0,
        };
        expect(await store.attachPolicyToUser(later)).toBe(true);
        expect(await store.attachPolicyToUser(earlier)).toBe(true);
        await store.attachPolicyToUser({
          ...earlier,
          userId: other.userId,
          policyName: 'AdministratorAccess',
        });
        expect(await store.listPoliciesForUser(account.accountId, user.userId)).toEqual([earlier, later]);
      });

      it('answers false for an attachment that already exists and keeps the first one', async () => {
        const account = await newAccount();
        const user = await newUser(account.accountId, 'peggy');
        const attachment: PolicyAttachment = {
          accountId: account.accountId,
          userId: user.userId,
          policyType: 'System',
          policyName: 'AdministratorAccess',
          attachedAt: T0,
        };
        expect(await store.attachPolicyToUser(attachment)).toBe(true);
        expect(await store.attachPolicyToUser({ ...attachment, attachedAt: T0 + 99 })).toBe(false);
        expect(await store.listPoliciesForUser(account.accountId, user.userId)).toEqual([attachment]);
      });

      it('treats a System and a Custom policy of the same name as two attachments', async () => {
        const account = await newAccount();
        const user = await newUser(account.accountId, 'quinn');
        const system: PolicyAttachment = {
          accountId: account.accountId,
          userId: user.userId,
          policyType: 'System',
          policyName: 'Same',
          attachedAt: T0,
        };
        expect(await store.attachPolicyToUser(system)).toBe(true);
        expect(await store.attachPolicyToUser({ ...system, policyType: 'Custom', attachedAt: T0 + 1 })).toBe(
          true,
        );
        expect(await store.listPoliciesForUser(account.accountId, user.userId)).toHaveLength(2);
      });

      it("refuses to attach to an unknown user or another account's user with EntityNotExist.User", async () => {
        const a = await newAccount();
        const b = await newAccount();
        const user = await newUser(a.accountId, 'rita');
        const base: PolicyAttachment = {
          accountId: a.accountId,
          userId: generateUserId(cryptoRandom),
          policyType: 'System',
          policyName: 'ReadOnlyAccess',
          attachedAt: T0,
        };
        await expectRamkeyError(store.attachPolicyToUser(base), 'EntityNotExist.User');
        await expectRamkeyError(
          store.attachPolicyToUser({ ...base, accountId: b.accountId, userId: user.userId }),
          'EntityNotExist.User',
        );
        expect(await store.listPoliciesForUser(b.accountId, user.userId)).toEqual([]);
        expect(await store.listPoliciesForUser(a.accountId, user.userId)).toEqual([]);
      });
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

      // Without this, a key could be created for a user that a concurrent DeleteUser just removed.
      it('never lets a concurrent delete of the user and a create of its key both succeed', async () => {
        const account = await newAccount();
        for (let round = 0; round < 5; round++) {
          const user = await newUser(account.accountId, `race-${round}`);
          const key = keyRecord(account.accountId, user.userId);
          const [deleted, created] = await Promise.allSettled([
            store.deleteUser(account.accountId, user.userId),
            store.createAccessKey(key, 2),
          ]);
          const userGone = (await store.getUserById(account.accountId, user.userId)) === undefined;
          const keyLive = (await store.getAccessKey(key.accessKeyId)) !== undefined;
          if (deleted.status === 'fulfilled' && deleted.value) {
            expect(created.status).toBe('rejected');
            expect(userGone && !keyLive).toBe(true);
          } else {
            expect(created.status).toBe('fulfilled');
            expect((deleted as PromiseRejectedResult).reason).toBeInstanceOf(RamkeyError);
            expect(!userGone && keyLive).toBe(true);
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

      // AccessKey IDs are never reused, not even after the key is deleted.
      it('refuses an AccessKey ID already issued, even a deleted one, with a catalog error', async () => {
        const account = await newAccount();
        const key = await newKey(account.accountId, null);
        expect(await store.deleteAccessKey(account.accountId, null, key.accessKeyId, T0 + 1)).toBe(true);
        const other = await newAccount();
        await expectRamkeyError(
          store.createAccessKey({ ...key, accountId: other.accountId }, 2),
          'InternalError',
        );
        expect(await store.getAccessKey(key.accessKeyId)).toBeUndefined();
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
        expect(await store.deleteAccessKey(b.accountId, user.userId, id, T0 + 1)).toBe(false);
        expect(await store.deleteAccessKey(a.accountId, sibling.userId, id, T0 + 1)).toBe(false);
        expect(await store.deleteAccessKey(a.accountId, null, id, T0 + 1)).toBe(false);
        expect(await store.getAccessKey(id)).toEqual(key);
        expect(await store.getAccessKey(rootKey.accessKeyId)).toEqual(rootKey);
      });

      it('hides a deleted key from every read and frees its slot', async () => {
        const account = await newAccount();
        const user = await newUser(account.accountId, 'cleo');
        const k1 = await newKey(account.accountId, user.userId, T0);
        const k2 = await newKey(account.accountId, user.userId, T0 + 1);
        await expectRamkeyError(
          store.createAccessKey(keyRecord(account.accountId, user.userId), 2),
          'LimitExceeded.User.AccessKey',
        );

        expect(await store.deleteAccessKey(account.accountId, user.userId, k1.accessKeyId, T0 + 10)).toBe(
          true,
        );
        expect(await store.getAccessKey(k1.accessKeyId)).toBeUndefined();
        expect(await store.listAccessKeys(account.accountId, user.userId)).toEqual([k2]);
        expect(await store.countAccessKeys(account.accountId)).toBe(1);
        // Deleted once is deleted: no second delete, no status change.
        expect(await store.deleteAccessKey(account.accountId, user.userId, k1.accessKeyId, T0 + 11)).toBe(
          false,
        );
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
        await store.deleteAccessKey(account.accountId, user.userId, gone.accessKeyId, T0 + 1);
        const other = await newAccount();
        await newKey(other.accountId, null);
        expect(await store.countAccessKeys(account.accountId)).toBe(2);
        expect(await store.countAccessKeys(other.accountId)).toBe(1);
      });
    });

    describe('last used', () => {
      it('applies a batch of updates to many keys', async () => {
        const account = await newAccount();
        const k1 = await newKey(account.accountId, null);
        const k2 = await newKey(account.accountId, null);
        await store.recordLastUsed([
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
        await store.recordLastUsed([
          { accessKeyId: id, lastUsedAt: T0 + 500, lastUsedService: 'ram', lastUsedIp: '10.0.0.5' },
        ]);
        await store.recordLastUsed([
          { accessKeyId: id, lastUsedAt: T0 + 400, lastUsedService: 'ims', lastUsedIp: '10.0.0.4' },
        ]);
        expect(await store.getAccessKey(id)).toMatchObject({
          lastUsedAt: T0 + 500,
          lastUsedService: 'ram',
          lastUsedIp: '10.0.0.5',
        });

        await store.recordLastUsed([
          { accessKeyId: id, lastUsedAt: T0 + 900, lastUsedService: 'sts', lastUsedIp: '10.0.0.9' },
          { accessKeyId: id, lastUsedAt: T0 + 700, lastUsedService: 'ims', lastUsedIp: '10.0.0.7' },
        ]);
        expect(await store.getAccessKey(id)).toMatchObject({
          lastUsedAt: T0 + 900,
          lastUsedService: 'sts',
          lastUsedIp: '10.0.0.9',
        });
      });

      it('accepts an empty batch', async () => {
        await store.recordLastUsed([]);
      });
    });
  });
}
