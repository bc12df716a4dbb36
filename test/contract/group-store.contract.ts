// The GroupStore contract: the rules of groups and their members (src/store/store.ts) as tests every adapter must pass.
import { beforeAll, describe, expect, it } from 'vitest';
import { generateUserId } from '../../src/core/keys/key-id.js';
import { cryptoRandom } from '../../src/core/random.js';
import { type GroupRecord, type Store } from '../../src/store/store.js';
import {
  T0,
  expectRamkeyError,
  expectRejectedWith,
  outcomes,
  newGroupId,
  type ContractStore,
  useContractStore,
} from './contract-fixtures.js';

export function describeGroupStoreContract(name: string, makeStore: () => Promise<ContractStore>): void {
  describe(`GroupStore contract: ${name}`, () => {
    const fixtures = useContractStore(makeStore);
    const { newAccount, newUser, newGroup, membershipOf, attachToGroup } = fixtures;
    let store: Store;

    beforeAll(() => {
      store = fixtures.store;
    });

    describe('groups', () => {
      it('reads back a created group by ID and by name in any case, keeping the name as written', async () => {
        const account = await newAccount();
        const group = await newGroup(account.accountId, 'Dev.Ops_1');
        expect(await store.getGroupById(account.accountId, group.groupId)).toEqual(group);
        expect(await store.getGroupByName(account.accountId, 'dev.ops_1')).toEqual(group);
        expect(await store.getGroupByName(account.accountId, 'DEV.OPS_1')).toEqual(group);
        expect(await store.getGroupByName(account.accountId, 'dev')).toBeUndefined();
      });

      it('refuses a name taken in the account, in any case, with EntityAlreadyExists.Group', async () => {
        const account = await newAccount();
        await newGroup(account.accountId, 'admins');
        await expectRamkeyError(newGroup(account.accountId, 'Admins'), 'EntityAlreadyExists.Group');
        expect(await store.countGroups(account.accountId)).toBe(1);
        // Another account may use the name.
        const other = await newAccount();
        await newGroup(other.accountId, 'ADMINS');
        expect(await store.countGroups(other.accountId)).toBe(1);
      });

      // Another account's group must look exactly like a missing one.
      it("does not find, change or delete another account's group, even by its exact name or ID", async () => {
        const a = await newAccount();
        const b = await newAccount();
        const group = await newGroup(a.accountId, 'secret-group');
        expect(await store.getGroupByName(b.accountId, 'secret-group')).toBeUndefined();
        expect(await store.getGroupById(b.accountId, group.groupId)).toBeUndefined();
        expect(
          await store.updateGroup(b.accountId, 'secret-group', { comments: 'x', updatedAt: T0 + 1 }),
        ).toBeUndefined();
        expect(await store.deleteGroup(b.accountId, group.groupId)).toBe(false);
        expect((await store.listGroups(b.accountId, { limit: 10 })).items).toEqual([]);
        expect(await store.getGroupById(a.accountId, group.groupId)).toEqual(group);
      });

      it('updates comments, renames (also only the case), and refuses a taken name changing nothing', async () => {
        const account = await newAccount();
        const group = await newGroup(account.accountId, 'alpha');
        await newGroup(account.accountId, 'beta');
        const commented = await store.updateGroup(account.accountId, 'ALPHA', {
          comments: '',
          updatedAt: T0 + 1,
        });
        expect(commented).toEqual({ ...group, comments: '', updatedAt: T0 + 1 });
        const renamed = await store.updateGroup(account.accountId, 'alpha', {
          groupName: 'Gamma',
          updatedAt: T0 + 2,
        });
        expect(renamed).toEqual({ ...group, groupName: 'Gamma', comments: '', updatedAt: T0 + 2 });
        expect(await store.getGroupByName(account.accountId, 'alpha')).toBeUndefined();
        expect((await store.getGroupByName(account.accountId, 'gamma'))?.groupId).toBe(group.groupId);
        expect(
          (await store.updateGroup(account.accountId, 'gamma', { groupName: 'GAMMA', updatedAt: T0 + 3 }))
            ?.groupName,
        ).toBe('GAMMA');
        await expectRamkeyError(
          store.updateGroup(account.accountId, 'gamma', {
            groupName: 'Beta',
            comments: 'x',
            updatedAt: T0 + 4,
          }),
          'EntityAlreadyExists.Group',
        );
        expect((await store.getGroupById(account.accountId, group.groupId))?.updatedAt).toBe(T0 + 3);
        expect(
          await store.updateGroup(account.accountId, 'nobody', { comments: 'x', updatedAt: T0 }),
        ).toBeUndefined();
      });

      it('pages through groups in name order with markers and refuses a foreign marker', async () => {
        const account = await newAccount();
        const other = await newAccount();
        await newGroup(other.accountId, 'a-intruder');
        for (const n of ['delta', 'Alpha', 'charlie', 'Echo', 'bravo']) await newGroup(account.accountId, n);
        const names: string[] = [];
        let after: string | undefined;
        let pages = 0;
        do {
          const page = await store.listGroups(
            account.accountId,
            after === undefined ? { limit: 2 } : { after, limit: 2 },
          );
          names.push(...page.items.map((g) => g.groupName));
          after = page.nextMarker;
          pages++;
        } while (after !== undefined && pages < 10);
        expect(pages).toBe(3);
        expect(names).toEqual(['Alpha', 'bravo', 'charlie', 'delta', 'Echo']);
        await expectRamkeyError(
          store.listGroups(account.accountId, { after: 'QR', limit: 2 }),
          'InvalidParameter.Marker',
        );
        expect(await store.countGroups(account.accountId)).toBe(5);
      });

      it('refuses a group beyond maxGroups with LimitExceeded.Group, counting per account', async () => {
        const account = await newAccount();
        await newGroup(account.accountId, 'g1', T0, 2);
        await newGroup(account.accountId, 'g2', T0, 2);
        await expectRamkeyError(newGroup(account.accountId, 'g3', T0, 2), 'LimitExceeded.Group');
        expect(await store.getGroupByName(account.accountId, 'g3')).toBeUndefined();
        expect(await store.countGroups(account.accountId)).toBe(2);
        await newGroup((await newAccount()).accountId, 'g3', T0, 2);
      });

      // The count and the insert are one atomic step.
      it('lets exactly maxGroups of many concurrent creates succeed', async () => {
        const account = await newAccount();
        const results = await Promise.allSettled(
          Array.from({ length: 7 }, (_, i) => newGroup(account.accountId, `par-${i}`, T0, 4)),
        );
        expect(outcomes(results)).toEqual({ ok: 4, 'LimitExceeded.Group': 3 });
        expect(await store.countGroups(account.accountId)).toBe(4);
      });

      it('deletes a group only once it has no members and no policies, then frees its name', async () => {
        const account = await newAccount();
        const group = await newGroup(account.accountId, 'staff');
        const user = await newUser(account.accountId, 'stan');
        await store.addUserToGroup(membershipOf(user, group), 10);
        await attachToGroup(group, 'System', 'ReadOnlyAccess');

        await expectRamkeyError(
          store.deleteGroup(account.accountId, group.groupId),
          'DeleteConflict.Group.User',
        );
        expect(await store.removeUserFromGroup(account.accountId, user.userId, group.groupId)).toBe(true);
        await expectRamkeyError(
          store.deleteGroup(account.accountId, group.groupId),
          'DeleteConflict.Group.Policy',
        );
        expect(await store.getGroupById(account.accountId, group.groupId)).toEqual(group);
        expect(await store.listPoliciesForGroup(account.accountId, group.groupId)).toHaveLength(1);
        expect(
          await store.detachPolicyFromGroup(account.accountId, group.groupId, 'System', 'ReadOnlyAccess'),
        ).toBe(true);

        expect(await store.deleteGroup(account.accountId, group.groupId)).toBe(true);
        expect(await store.deleteGroup(account.accountId, group.groupId)).toBe(false);
        expect(await store.getGroupByName(account.accountId, 'staff')).toBeUndefined();
        expect(await store.countGroups(account.accountId)).toBe(0);
        await newGroup(account.accountId, 'STAFF');
      });

      it('never lets a concurrent delete of the group and an add of a member both succeed', async () => {
        const account = await newAccount();
        const user = await newUser(account.accountId, 'hopper');
        for (let round = 0; round < 5; round++) {
          const group = await newGroup(account.accountId, `short-lived-${round}`);
          const [deleted, added] = await Promise.allSettled([
            store.deleteGroup(account.accountId, group.groupId),
            store.addUserToGroup(membershipOf(user, group), 10),
          ]);
          const groupGone = (await store.getGroupById(account.accountId, group.groupId)) === undefined;
          const isMember = (await store.listGroupsForUser(account.accountId, user.userId)).some(
            (m) => m.group.groupId === group.groupId,
          );
          if (deleted.status === 'fulfilled' && deleted.value) {
            expectRejectedWith(added, 'EntityNotExist.Group');
            expect(groupGone && !isMember).toBe(true);
          } else {
            expect(added.status).toBe('fulfilled');
            expectRejectedWith(deleted, 'DeleteConflict.Group.User');
            expect(!groupGone && isMember).toBe(true);
            await store.removeUserFromGroup(account.accountId, user.userId, group.groupId);
          }
        }
      });
    });

    describe('group membership', () => {
      it("lists a user's groups in joining order and a group's members in name order, with join dates", async () => {
        const account = await newAccount();
        const [g1, g2] = [
          await newGroup(account.accountId, 'zeta'),
          await newGroup(account.accountId, 'eta'),
        ];
        const bob = await newUser(account.accountId, 'bob');
        const Amy = await newUser(account.accountId, 'Amy');
        const carl = await newUser(account.accountId, 'carl');
        await store.addUserToGroup(membershipOf(bob, g1, T0 + 10), 10);
        await store.addUserToGroup(membershipOf(bob, g2, T0 + 5), 10);
        await store.addUserToGroup(membershipOf(Amy, g1, T0 + 20), 10);
        await store.addUserToGroup(membershipOf(carl, g1, T0 + 1), 10);

        expect(await store.listGroupsForUser(account.accountId, bob.userId)).toEqual([
          { group: g2, joinedAt: T0 + 5 },
          { group: g1, joinedAt: T0 + 10 },
        ]);
        const first = await store.listUsersForGroup(account.accountId, g1.groupId, { limit: 2 });
        expect(first.items).toEqual([
          { user: Amy, joinedAt: T0 + 20 },
          { user: bob, joinedAt: T0 + 10 },
        ]);
        expect(first.nextMarker).toBeDefined();
        const second = await store.listUsersForGroup(account.accountId, g1.groupId, {
          after: first.nextMarker ?? '',
          limit: 2,
        });
        expect(second).toEqual({ items: [{ user: carl, joinedAt: T0 + 1 }] });
        expect((await store.listUsersForGroup(account.accountId, g2.groupId, { limit: 10 })).items).toEqual([
          { user: bob, joinedAt: T0 + 5 },
        ]);
        // A renamed group shows under its new name.
        await store.updateGroup(account.accountId, 'eta', { groupName: 'theta', updatedAt: T0 + 30 });
        expect((await store.listGroupsForUser(account.accountId, bob.userId))[0]?.group.groupName).toBe(
          'theta',
        );
      });

      it('refuses a second join with EntityAlreadyExists.User.Group and keeps the first join date', async () => {
        const account = await newAccount();
        const group = await newGroup(account.accountId, 'once');
        const user = await newUser(account.accountId, 'joiner');
        await store.addUserToGroup(membershipOf(user, group, T0), 10);
        await expectRamkeyError(
          store.addUserToGroup(membershipOf(user, group, T0 + 9), 10),
          'EntityAlreadyExists.User.Group',
        );
        expect(await store.listGroupsForUser(account.accountId, user.userId)).toEqual([
          { group, joinedAt: T0 },
        ]);
      });

      it("refuses an unknown or another account's user or group with EntityNotExist.User / .Group", async () => {
        const a = await newAccount();
        const b = await newAccount();
        const user = await newUser(a.accountId, 'ursula');
        const group = await newGroup(a.accountId, 'grp');
        const foreignUser = await newUser(b.accountId, 'ursula');
        const foreignGroup = await newGroup(b.accountId, 'grp');
        const join = (userId: string, groupId: string) =>
          store.addUserToGroup({ accountId: a.accountId, userId, groupId, joinedAt: T0 }, 10);
        await expectRamkeyError(join(generateUserId(cryptoRandom), group.groupId), 'EntityNotExist.User');
        await expectRamkeyError(join(foreignUser.userId, group.groupId), 'EntityNotExist.User');
        await expectRamkeyError(join(user.userId, newGroupId()), 'EntityNotExist.Group');
        await expectRamkeyError(join(user.userId, foreignGroup.groupId), 'EntityNotExist.Group');
        await expectRamkeyError(
          store.addUserToGroup({ ...membershipOf(user, group), accountId: b.accountId }, 10),
          'EntityNotExist.User',
        );
        expect(await store.listGroupsForUser(a.accountId, user.userId)).toEqual([]);
        expect(await store.listGroupsForUser(b.accountId, foreignUser.userId)).toEqual([]);
      });

      it('refuses a group beyond maxGroupsPerUser with LimitExceeded.User.Group, after the already-member check', async () => {
        const account = await newAccount();
        const user = await newUser(account.accountId, 'busy');
        const groups = [];
        for (let i = 0; i < 3; i++) groups.push(await newGroup(account.accountId, `busy-${i}`));
        const [g0, g1, g2] = groups as [GroupRecord, GroupRecord, GroupRecord];
        await store.addUserToGroup(membershipOf(user, g0), 2);
        await store.addUserToGroup(membershipOf(user, g1), 2);
        await expectRamkeyError(store.addUserToGroup(membershipOf(user, g2), 2), 'LimitExceeded.User.Group');
        await expectRamkeyError(
          store.addUserToGroup(membershipOf(user, g1), 2),
          'EntityAlreadyExists.User.Group',
        );
        expect(await store.listGroupsForUser(account.accountId, user.userId)).toHaveLength(2);
        // The limit is per user: another user joins the third group freely.
        const other = await newUser(account.accountId, 'idle');
        await store.addUserToGroup(membershipOf(other, g2), 2);
      });

      // The per-user count and the insert are one atomic step.
      it('lets exactly maxGroupsPerUser of 12 concurrent joins succeed', async () => {
        const account = await newAccount();
        const user = await newUser(account.accountId, 'joiner12');
        const groups: GroupRecord[] = [];
        for (let i = 0; i < 12; i++) groups.push(await newGroup(account.accountId, `twelve-${i}`));
        const results = await Promise.allSettled(
          groups.map((g) => store.addUserToGroup(membershipOf(user, g), 10)),
        );
        expect(outcomes(results)).toEqual({ ok: 10, 'LimitExceeded.User.Group': 2 });
        expect(await store.listGroupsForUser(account.accountId, user.userId)).toHaveLength(10);
      });

      it('removes a member once; answers false for a non-member or across accounts', async () => {
        const a = await newAccount();
        const b = await newAccount();
        const group = await newGroup(a.accountId, 'leavers');
        const user = await newUser(a.accountId, 'leaver');
        await store.addUserToGroup(membershipOf(user, group), 10);
        expect(await store.removeUserFromGroup(b.accountId, user.userId, group.groupId)).toBe(false);
        expect(await store.removeUserFromGroup(a.accountId, user.userId, group.groupId)).toBe(true);
        expect(await store.removeUserFromGroup(a.accountId, user.userId, group.groupId)).toBe(false);
        expect(await store.listGroupsForUser(a.accountId, user.userId)).toEqual([]);
        expect((await store.listUsersForGroup(a.accountId, group.groupId, { limit: 10 })).items).toEqual([]);
      });
    });
  });
}
