// The UserStore contract: the rules of users (src/store/store.ts) as tests every adapter must pass.
import { beforeAll, describe, expect, it } from 'vitest';
import { generateUserId } from '../../src/core/keys/key-id.js';
import { cryptoRandom } from '../../src/core/random.js';
import { type PolicyAttachment, type UserRecord, type Store } from '../../src/store/store.js';
import {
  DAY,
  T0,
  entry,
  expectRamkeyError,
  expectRejectedWith,
  type ContractStore,
  useContractStore,
} from './contract-fixtures.js';
import { defaultQuotas } from '../../src/services/quotas.js';

export function describeUserStoreContract(name: string, makeStore: () => Promise<ContractStore>): void {
  describe(`UserStore contract: ${name}`, () => {
    const fixtures = useContractStore(makeStore);
    const { newAccount, newUser, newKey, listAllUsers, newGroup, newPolicy, membershipOf, attachToUser } =
      fixtures;
    let store: Store;

    beforeAll(() => {
      store = fixtures.store;
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
        expect(await store.recycleUser(account.accountId, m2.userId, entry(T0 + 1))).toEqual([]);
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

      it('moves a user nothing hangs on to the recycle bin, once', async () => {
        const account = await newAccount();
        const user = await newUser(account.accountId, 'leo');
        expect(await store.recycleUser(account.accountId, user.userId, entry(T0 + 1))).toEqual([]);
        expect(await store.getUserById(account.accountId, user.userId)).toBeUndefined();
        expect(await store.getUserByName(account.accountId, 'leo')).toBeUndefined();
        expect(await store.countUsers(account.accountId)).toBe(0);
        expect((await store.listUsers(account.accountId, { limit: 10 })).items).toEqual([]);
        expect(await store.recycleUser(account.accountId, user.userId, entry(T0 + 2))).toBeUndefined();
        expect(await store.getRecycledUser(account.accountId, user.userId, T0 + 2)).toEqual({
          ...user,
          recycledAt: T0 + 1,
          purgeAt: T0 + 1 + 30 * DAY,
        });
      });

      it("answers undefined when deleting an unknown user or another account's, and keeps it", async () => {
        const a = await newAccount();
        const b = await newAccount();
        const user = await newUser(a.accountId, 'mallory');
        expect(await store.recycleUser(a.accountId, generateUserId(cryptoRandom), entry(T0))).toBeUndefined();
        expect(await store.recycleUser(b.accountId, user.userId, entry(T0))).toBeUndefined();
        expect(await store.getUserById(a.accountId, user.userId)).toEqual(user);
      });

      it('moves a user to the recycle bin with its live keys (any status), refusing while it has policies, changing nothing', async () => {
        const account = await newAccount();
        const user = await newUser(account.accountId, 'nina');
        const attachment: PolicyAttachment = {
          accountId: account.accountId,
          userId: user.userId,
          policyType: 'System',
          policyName: 'AdministratorAccess',
          attachedAt: T0,
        };
        await store.attachPolicyToUser(attachment, defaultQuotas.attachedPolicies);
        const key = await newKey(account.accountId, user.userId);
        const other = await newKey(account.accountId, user.userId);
        await store.updateAccessKeyStatus(
          account.accountId,
          user.userId,
          key.accessKeyId,
          'Inactive',
          T0 + 1,
        );

        await expectRamkeyError(
          store.recycleUser(account.accountId, user.userId, entry(T0 + 2)),
          'DeleteConflict.User.Policy',
        );
        // The refusal rolled back the whole move: the user, its keys and attachments are as they were.
        expect(await store.getUserById(account.accountId, user.userId)).toEqual(user);
        expect(await store.listPoliciesForUser(account.accountId, user.userId)).toEqual([attachment]);
        expect(await store.listAccessKeys(account.accountId, user.userId)).toHaveLength(2);
        expect(await store.getRecycledUser(account.accountId, user.userId, T0 + 2)).toBeUndefined();

        expect(
          await store.detachPolicyFromUser(account.accountId, user.userId, 'System', 'AdministratorAccess'),
        ).toBe(true);
        expect((await store.recycleUser(account.accountId, user.userId, entry(T0 + 3)))?.sort()).toEqual(
          [key.accessKeyId, other.accessKeyId].sort(),
        );
        expect(await store.listAccessKeys(account.accountId, user.userId)).toEqual([]);
        expect(await store.getAccessKey(key.accessKeyId)).toBeUndefined();
        expect(await store.listRecycledAccessKeys(account.accountId, user.userId, T0 + 3)).toEqual(
          [key, other]
            .map((k) => ({
              accessKeyId: k.accessKeyId,
              accountId: account.accountId,
              userId: user.userId,
              createdAt: k.createdAt,
              recycledAt: T0 + 3,
              purgeAt: T0 + 3 + 30 * DAY,
              withUser: true,
            }))
            .sort((x, y) => (x.accessKeyId < y.accessKeyId ? -1 : 1)),
        );
      });

      // As RAM: a user leaves its groups and loses its policies explicitly before it can go.
      it('refuses to delete a user in a group or with policies, in that order, changing nothing', async () => {
        const account = await newAccount();
        const user = await newUser(account.accountId, 'norbert');
        const group = await newGroup(account.accountId, 'ops');
        const policy = await newPolicy(account.accountId, 'NorbertPolicy');
        const key = await newKey(account.accountId, user.userId);
        await store.addUserToGroup(membershipOf(user, group), 10);
        await attachToUser(user, 'Custom', policy.policyName);

        await expectRamkeyError(
          store.recycleUser(account.accountId, user.userId, entry(T0 + 1)),
          'DeleteConflict.User.Group',
        );
        expect(await store.listGroupsForUser(account.accountId, user.userId)).toHaveLength(1);
        expect(await store.removeUserFromGroup(account.accountId, user.userId, group.groupId)).toBe(true);
        await expectRamkeyError(
          store.recycleUser(account.accountId, user.userId, entry(T0 + 1)),
          'DeleteConflict.User.Policy',
        );
        expect(await store.getUserById(account.accountId, user.userId)).toEqual(user);
        expect(await store.listPoliciesForUser(account.accountId, user.userId)).toHaveLength(1);
        expect(await store.getAccessKey(key.accessKeyId)).toEqual(key);
        expect(
          await store.detachPolicyFromUser(account.accountId, user.userId, 'Custom', 'norbertpolicy'),
        ).toBe(true);
        expect(await store.recycleUser(account.accountId, user.userId, entry(T0 + 1))).toEqual([
          key.accessKeyId,
        ]);
        // The group and the policy stay.
        expect(await store.getGroupById(account.accountId, group.groupId)).toEqual(group);
        expect((await store.getPolicy(account.accountId, 'NorbertPolicy'))?.attachmentCount).toBe(0);
      });

      // Without this, a membership could outlive its user.
      it('never lets a concurrent delete of the user and an add to a group both succeed', async () => {
        const account = await newAccount();
        const group = await newGroup(account.accountId, 'racers');
        for (let round = 0; round < 5; round++) {
          const user = await newUser(account.accountId, `joiner-${round}`);
          const [deleted, added] = await Promise.allSettled([
            store.recycleUser(account.accountId, user.userId, entry(T0 + 1)),
            store.addUserToGroup(membershipOf(user, group), 10),
          ]);
          const userGone = (await store.getUserById(account.accountId, user.userId)) === undefined;
          const members = await store.listUsersForGroup(account.accountId, group.groupId, { limit: 100 });
          const isMember = members.items.some((m) => m.user.userId === user.userId);
          if (deleted.status === 'fulfilled' && deleted.value) {
            expectRejectedWith(added, 'EntityNotExist.User');
            expect(userGone && !isMember).toBe(true);
          } else {
            expect(added.status).toBe('fulfilled');
            expectRejectedWith(deleted, 'DeleteConflict.User.Group');
            expect(!userGone && isMember).toBe(true);
          }
        }
      });
    });
  });
}
