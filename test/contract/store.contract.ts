// describeStoreContract: the one suite every Store adapter must pass, the rules of src/store/store.ts as tests.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ErrorCode } from '../../src/core/errors/catalog.js';
import { RamkeyError } from '../../src/core/errors/ramkey-error.js';
import {
  generateAccessKeyId,
  generateAccountId,
  generateUserId,
  randomBase62,
} from '../../src/core/keys/key-id.js';
import { cryptoRandom } from '../../src/core/random.js';
import {
  DEFAULT_SECURITY_PREFERENCE,
  RAM_POLICY_ATTACHMENT_LIMITS,
  type AccessKeyRecord,
  type AccountRecord,
  type AuditEventRecord,
  type AuditSlot,
  type EffectivePolicy,
  type LastUsedUpdate,
  type GroupRecord,
  type PolicyAttachment,
  type PolicyAttachmentLimits,
  type PolicyRecord,
  type PolicyType,
  type Store,
  type UserRecord,
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

/** Asserts a settled promise was rejected with that catalog code. */
function expectRejectedWith(result: PromiseSettledResult<unknown>, code: ErrorCode): void {
  expect(result.status, `expected a rejection with ${code}`).toBe('rejected');
  const reason: unknown = (result as PromiseRejectedResult).reason;
  expect(reason).toBeInstanceOf(RamkeyError);
  expect((reason as RamkeyError).code).toBe(code);
}

/** Tallies settled results: "ok" for each fulfilment, the RamkeyError code for each rejection. */
function outcomes(results: PromiseSettledResult<unknown>[]): Record<string, number> {
  const tally: Record<string, number> = {};
  for (const r of results) {
    const key =
      r.status === 'fulfilled'
        ? 'ok'
        : r.reason instanceof RamkeyError
          ? r.reason.code
          : `unexpected: ${String(r.reason)}`;
    tally[key] = (tally[key] ?? 0) + 1;
  }
  return tally;
}

/** A policy document; the store keeps it as opaque text, so any distinct string would do. */
function documentFor(action: string): string {
  return JSON.stringify({ Version: '1', Statement: [{ Effect: 'Allow', Action: action, Resource: '*' }] });
}

/** A group ID shaped like RAM's (`g-` and base62); the store treats it as opaque. */
function newGroupId(): string {
  return `g-${randomBase62(cryptoRandom, 16)}`;
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
        state: 'live',
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

    async function newGroup(
      accountId: string,
      groupName: string,
      createdAt = T0,
      maxGroups = 300,
    ): Promise<GroupRecord> {
      const group: GroupRecord = {
        accountId,
        groupId: newGroupId(),
        groupName,
        comments: `comments of ${groupName}`,
        createdAt,
        updatedAt: createdAt,
      };
      await store.createGroup(group, maxGroups);
      return group;
    }

    async function newPolicy(
      accountId: string,
      policyName: string,
      document = documentFor(`ecs:${policyName}`),
      createdAt = T0,
      maxPolicies = 1500,
    ): Promise<PolicyRecord> {
      return store.createPolicy(
        { accountId, policyName, description: `about ${policyName}`, document, createdAt },
        maxPolicies,
      );
    }

    function membershipOf(
      user: UserRecord,
      group: GroupRecord,
      joinedAt = T0,
    ): { accountId: string; userId: string; groupId: string; joinedAt: number } {
      return { accountId: user.accountId, userId: user.userId, groupId: group.groupId, joinedAt };
    }

    function attachToUser(
      user: UserRecord,
      policyType: PolicyType,
      policyName: string,
      attachedAt = T0,
      limits: PolicyAttachmentLimits = RAM_POLICY_ATTACHMENT_LIMITS,
    ): Promise<boolean> {
      return store.attachPolicyToUser(
        { accountId: user.accountId, userId: user.userId, policyType, policyName, attachedAt },
        limits,
      );
    }

    function attachToGroup(
      group: GroupRecord,
      policyType: PolicyType,
      policyName: string,
      attachedAt = T0,
      limits: PolicyAttachmentLimits = RAM_POLICY_ATTACHMENT_LIMITS,
    ): Promise<boolean> {
      return store.attachPolicyToGroup(
        { accountId: group.accountId, groupId: group.groupId, policyType, policyName, attachedAt },
        limits,
      );
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

      it('deletes a user nothing hangs on, once', async () => {
        const account = await newAccount();
        const user = await newUser(account.accountId, 'leo');
        expect(await store.deleteUser(account.accountId, user.userId)).toBe(true);
        expect(await store.getUserById(account.accountId, user.userId)).toBeUndefined();
        expect(await store.getUserByName(account.accountId, 'leo')).toBeUndefined();
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
        await expectRamkeyError(
          store.deleteUser(account.accountId, user.userId),
          'DeleteConflict.User.Policy',
        );
        expect(
          await store.detachPolicyFromUser(account.accountId, user.userId, 'System', 'AdministratorAccess'),
        ).toBe(true);
        expect(await store.deleteUser(account.accountId, user.userId)).toBe(true);
      });

      // As RAM: a user leaves its groups and loses its policies explicitly before it can go.
      it('refuses to delete a user in a group or with policies, in that order after keys, changing nothing', async () => {
        const account = await newAccount();
        const user = await newUser(account.accountId, 'norbert');
        const group = await newGroup(account.accountId, 'ops');
        const policy = await newPolicy(account.accountId, 'NorbertPolicy');
        const key = await newKey(account.accountId, user.userId);
        await store.addUserToGroup(membershipOf(user, group), 10);
        await attachToUser(user, 'Custom', policy.policyName);

        await expectRamkeyError(
          store.deleteUser(account.accountId, user.userId),
          'DeleteConflict.User.AccessKey',
        );
        await store.deleteAccessKey(account.accountId, user.userId, key.accessKeyId, T0 + 1);
        await expectRamkeyError(
          store.deleteUser(account.accountId, user.userId),
          'DeleteConflict.User.Group',
        );
        expect(await store.listGroupsForUser(account.accountId, user.userId)).toHaveLength(1);
        expect(await store.removeUserFromGroup(account.accountId, user.userId, group.groupId)).toBe(true);
        await expectRamkeyError(
          store.deleteUser(account.accountId, user.userId),
          'DeleteConflict.User.Policy',
        );
        expect(await store.getUserById(account.accountId, user.userId)).toEqual(user);
        expect(await store.listPoliciesForUser(account.accountId, user.userId)).toHaveLength(1);
        expect(
          await store.detachPolicyFromUser(account.accountId, user.userId, 'Custom', 'norbertpolicy'),
        ).toBe(true);
        expect(await store.deleteUser(account.accountId, user.userId)).toBe(true);
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
            store.deleteUser(account.accountId, user.userId),
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

    describe('policy attachments', () => {
      it('lists the policies attached to a user, oldest first, only that user', async () => {
        const account = await newAccount();
        const user = await newUser(account.accountId, 'olga');
        const other = await newUser(account.accountId, 'oscar');
        await newPolicy(account.accountId, 'ReadBuckets');
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
        await newPolicy(account.accountId, 'Same');
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

    describe('custom policies', () => {
      it('creates a policy with v1 as its default version and reads both back', async () => {
        const account = await newAccount();
        const document = documentFor('oss:GetObject');
        const created = await newPolicy(account.accountId, 'ReadObjects', document, T0 + 1);
        const expected: PolicyRecord = {
          accountId: account.accountId,
          policyName: 'ReadObjects',
          description: 'about ReadObjects',
          defaultVersion: 'v1',
          attachmentCount: 0,
          createdAt: T0 + 1,
          updatedAt: T0 + 1,
        };
        expect(created).toEqual(expected);
        expect(await store.getPolicy(account.accountId, 'ReadObjects')).toEqual(expected);
        expect(await store.getPolicyVersion(account.accountId, 'ReadObjects', 'v1')).toEqual({
          accountId: account.accountId,
          policyName: 'ReadObjects',
          versionId: 'v1',
          document,
          isDefault: true,
          createdAt: T0 + 1,
        });
        expect(await store.listPolicyVersions(account.accountId, 'ReadObjects')).toHaveLength(1);
      });

      it('finds a policy by name in any case, keeps the name as created, and refuses a taken name', async () => {
        const account = await newAccount();
        await newPolicy(account.accountId, 'Read-Buckets');
        expect((await store.getPolicy(account.accountId, 'read-buckets'))?.policyName).toBe('Read-Buckets');
        expect((await store.getPolicyVersion(account.accountId, 'READ-BUCKETS', 'v1'))?.policyName).toBe(
          'Read-Buckets',
        );
        await expectRamkeyError(newPolicy(account.accountId, 'read-BUCKETS'), 'EntityAlreadyExists.Policy');
        expect(await store.countPolicies(account.accountId)).toBe(1);
        await newPolicy((await newAccount()).accountId, 'Read-Buckets');
      });

      // Another account's policy must look exactly like a missing one.
      it("does not find, version, attach or delete another account's policy, even by its exact name", async () => {
        const a = await newAccount();
        const b = await newAccount();
        await newPolicy(a.accountId, 'Private');
        const user = await newUser(b.accountId, 'outsider');
        const group = await newGroup(b.accountId, 'outsiders');
        expect(await store.getPolicy(b.accountId, 'Private')).toBeUndefined();
        expect(await store.getPolicyVersion(b.accountId, 'Private', 'v1')).toBeUndefined();
        expect(await store.listPolicyVersions(b.accountId, 'Private')).toBeUndefined();
        expect((await store.listPolicies(b.accountId, { limit: 10 })).items).toEqual([]);
        await expectRamkeyError(
          store.createPolicyVersion(
            b.accountId,
            'Private',
            { document: '{}', setAsDefault: true, rotate: false, createdAt: T0 },
            5,
          ),
          'EntityNotExist.Policy',
        );
        await expectRamkeyError(
          store.setDefaultPolicyVersion(b.accountId, 'Private', 'v1', T0),
          'EntityNotExist.Policy',
        );
        await expectRamkeyError(
          store.deletePolicyVersion(b.accountId, 'Private', 'v1', T0),
          'EntityNotExist.Policy',
        );
        await expectRamkeyError(attachToUser(user, 'Custom', 'Private'), 'EntityNotExist.Policy');
        await expectRamkeyError(attachToGroup(group, 'Custom', 'Private'), 'EntityNotExist.Policy');
        expect(await store.updatePolicyDescription(b.accountId, 'Private', 'x', T0)).toBeUndefined();
        expect(await store.deletePolicy(b.accountId, 'Private')).toBe(false);
        expect(await store.getPolicy(a.accountId, 'Private')).toMatchObject({ description: 'about Private' });
      });

      it('pages through policies in name order and counts them per account', async () => {
        const account = await newAccount();
        for (const n of ['p-delta', 'P-Alpha', 'p-charlie', 'p-bravo']) await newPolicy(account.accountId, n);
        const first = await store.listPolicies(account.accountId, { limit: 3 });
        expect(first.items.map((p) => p.policyName)).toEqual(['P-Alpha', 'p-bravo', 'p-charlie']);
        const rest = await store.listPolicies(account.accountId, { after: first.nextMarker ?? '', limit: 3 });
        expect(rest).toEqual({ items: [expect.objectContaining({ policyName: 'p-delta' })] });
        await expectRamkeyError(
          store.listPolicies(account.accountId, { after: '_w', limit: 3 }),
          'InvalidParameter.Marker',
        );
        expect(await store.countPolicies(account.accountId)).toBe(4);
      });

      it('updates the description and returns the updated policy', async () => {
        const account = await newAccount();
        const policy = await newPolicy(account.accountId, 'Described');
        expect(
          await store.updatePolicyDescription(account.accountId, 'described', 'new words', T0 + 5),
        ).toEqual({
          ...policy,
          description: 'new words',
          updatedAt: T0 + 5,
        });
      });

      it('refuses a policy beyond maxPolicies with LimitExceeded.Policy, atomically under concurrency', async () => {
        const account = await newAccount();
        await newPolicy(account.accountId, 'Only1', documentFor('a'), T0, 1);
        await expectRamkeyError(
          newPolicy(account.accountId, 'Only2', documentFor('a'), T0, 1),
          'LimitExceeded.Policy',
        );
        expect(await store.getPolicy(account.accountId, 'Only2')).toBeUndefined();

        const busy = await newAccount();
        const results = await Promise.allSettled(
          Array.from({ length: 6 }, (_, i) => newPolicy(busy.accountId, `Par${i}`, documentFor('a'), T0, 3)),
        );
        expect(outcomes(results)).toEqual({ ok: 3, 'LimitExceeded.Policy': 3 });
        expect(await store.countPolicies(busy.accountId)).toBe(3);
      });

      it('counts attachments to users and groups, and refuses deletion while attached or versioned, as RAM', async () => {
        const account = await newAccount();
        await newPolicy(account.accountId, 'Guarded');
        const user = await newUser(account.accountId, 'guard');
        const group = await newGroup(account.accountId, 'guards');
        await attachToUser(user, 'Custom', 'guarded');
        await attachToGroup(group, 'Custom', 'GUARDED');
        await store.createPolicyVersion(
          account.accountId,
          'Guarded',
          { document: documentFor('b'), setAsDefault: false, rotate: false, createdAt: T0 + 1 },
          5,
        );
        expect((await store.getPolicy(account.accountId, 'Guarded'))?.attachmentCount).toBe(2);

        await expectRamkeyError(
          store.deletePolicy(account.accountId, 'Guarded'),
          'DeleteConflict.Policy.User',
        );
        await store.detachPolicyFromUser(account.accountId, user.userId, 'Custom', 'Guarded');
        await expectRamkeyError(
          store.deletePolicy(account.accountId, 'Guarded'),
          'DeleteConflict.Policy.Group',
        );
        await store.detachPolicyFromGroup(account.accountId, group.groupId, 'Custom', 'Guarded');
        await expectRamkeyError(
          store.deletePolicy(account.accountId, 'Guarded'),
          'DeleteConflict.Policy.Version',
        );
        expect(await store.listPolicyVersions(account.accountId, 'Guarded')).toHaveLength(2);
        await store.deletePolicyVersion(account.accountId, 'Guarded', 'v2', T0 + 2);

        expect(await store.deletePolicy(account.accountId, 'GUARDED')).toBe(true);
        expect(await store.deletePolicy(account.accountId, 'Guarded')).toBe(false);
        expect(await store.getPolicy(account.accountId, 'Guarded')).toBeUndefined();
        expect(await store.getPolicyVersion(account.accountId, 'Guarded', 'v1')).toBeUndefined();
        // The name is free again, and a new policy starts again at v1.
        const again = await newPolicy(account.accountId, 'guarded', documentFor('c'));
        expect(again.defaultVersion).toBe('v1');
        expect(await store.listPolicyVersions(account.accountId, 'guarded')).toEqual([
          expect.objectContaining({ versionId: 'v1', document: documentFor('c') }),
        ]);
      });

      // Without the policy's lock, a Custom attachment could outlive its policy.
      it('never lets a concurrent delete of the policy and an attachment of it both succeed', async () => {
        const account = await newAccount();
        const user = await newUser(account.accountId, 'attacher');
        for (let round = 0; round < 5; round++) {
          const policy = await newPolicy(account.accountId, `Racy${round}`);
          const [deleted, attached] = await Promise.allSettled([
            store.deletePolicy(account.accountId, policy.policyName),
            attachToUser(user, 'Custom', policy.policyName),
          ]);
          const policyGone = (await store.getPolicy(account.accountId, policy.policyName)) === undefined;
          const isAttached = (await store.listPoliciesForUser(account.accountId, user.userId)).some(
            (a) => a.policyName === policy.policyName,
          );
          if (deleted.status === 'fulfilled' && deleted.value) {
            expectRejectedWith(attached, 'EntityNotExist.Policy');
            expect(policyGone && !isAttached).toBe(true);
          } else {
            expect(attached).toEqual({ status: 'fulfilled', value: true });
            expectRejectedWith(deleted, 'DeleteConflict.Policy.User');
            expect(!policyGone && isAttached).toBe(true);
            await store.detachPolicyFromUser(account.accountId, user.userId, 'Custom', policy.policyName);
          }
        }
      });
    });

    describe('policy versions', () => {
      function newVersion(
        accountId: string,
        policyName: string,
        options: { setAsDefault?: boolean; rotate?: boolean; createdAt?: number; maxVersions?: number } = {},
      ) {
        const createdAt = options.createdAt ?? T0 + 100;
        return store.createPolicyVersion(
          accountId,
          policyName,
          {
            document: documentFor(`v@${createdAt}`),
            setAsDefault: options.setAsDefault ?? false,
            rotate: options.rotate ?? false,
            createdAt,
          },
          options.maxVersions ?? 5,
        );
      }

      async function versionIds(accountId: string, policyName: string): Promise<string[]> {
        return ((await store.listPolicyVersions(accountId, policyName)) ?? []).map(
          (v) => `${v.versionId}${v.isDefault ? '*' : ''}`,
        );
      }

      it('numbers versions v2, v3, ... and makes one the default only when asked', async () => {
        const account = await newAccount();
        await newPolicy(account.accountId, 'Versioned');
        const v2 = await newVersion(account.accountId, 'versioned', { createdAt: T0 + 2 });
        expect(v2).toEqual({
          accountId: account.accountId,
          policyName: 'Versioned',
          versionId: 'v2',
          document: documentFor(`v@${T0 + 2}`),
          isDefault: false,
          createdAt: T0 + 2,
        });
        const v3 = await newVersion(account.accountId, 'Versioned', {
          setAsDefault: true,
          createdAt: T0 + 3,
        });
        expect(v3).toMatchObject({ versionId: 'v3', isDefault: true });
        expect(await store.getPolicy(account.accountId, 'Versioned')).toMatchObject({
          defaultVersion: 'v3',
          updatedAt: T0 + 3,
          createdAt: T0,
        });
        expect(await store.getPolicyVersion(account.accountId, 'Versioned', 'v3')).toEqual(v3);
        expect(await store.getPolicyVersion(account.accountId, 'Versioned', 'v2')).toEqual(v2);
        expect(await versionIds(account.accountId, 'Versioned')).toEqual(['v1', 'v2', 'v3*']);
      });

      it('answers undefined for an unknown or malformed version ID', async () => {
        const account = await newAccount();
        await newPolicy(account.accountId, 'Few');
        for (const id of ['v2', 'V1', 'v01', 'v0', '1', 'v1 ', 'v', 'v99999999999']) {
          expect(await store.getPolicyVersion(account.accountId, 'Few', id)).toBeUndefined();
        }
        expect(await store.getPolicyVersion(account.accountId, 'Nope', 'v1')).toBeUndefined();
      });

      it('refuses a version beyond maxVersions with LimitExceeded.Policy.Version unless rotating', async () => {
        const account = await newAccount();
        await newPolicy(account.accountId, 'Full');
        for (let i = 2; i <= 5; i++) await newVersion(account.accountId, 'Full', { createdAt: T0 + i });
        await expectRamkeyError(
          newVersion(account.accountId, 'Full', { setAsDefault: true }),
          'LimitExceeded.Policy.Version',
        );
        expect(await versionIds(account.accountId, 'Full')).toEqual(['v1*', 'v2', 'v3', 'v4', 'v5']);
        expect((await store.getPolicy(account.accountId, 'Full'))?.updatedAt).toBe(T0 + 5);
      });

      it('rotates out the oldest version that is not the default, keeping the previous default', async () => {
        const account = await newAccount();
        await newPolicy(account.accountId, 'Rotating');
        for (let i = 2; i <= 5; i++) await newVersion(account.accountId, 'Rotating');
        // v1 is the default: v2 goes; the new v6 becomes the default and v1 stays as the way back.
        const v6 = await newVersion(account.accountId, 'Rotating', { setAsDefault: true, rotate: true });
        expect(v6).toMatchObject({ versionId: 'v6', isDefault: true });
        expect(await versionIds(account.accountId, 'Rotating')).toEqual(['v1', 'v3', 'v4', 'v5', 'v6*']);
        // Now v6 is the default: the oldest other one, v1, goes.
        await newVersion(account.accountId, 'Rotating', { rotate: true });
        expect(await versionIds(account.accountId, 'Rotating')).toEqual(['v3', 'v4', 'v5', 'v6*', 'v7']);
        // A default in the middle is skipped.
        await store.setDefaultPolicyVersion(account.accountId, 'Rotating', 'v3', T0 + 200);
        await newVersion(account.accountId, 'Rotating', { rotate: true });
        expect(await versionIds(account.accountId, 'Rotating')).toEqual(['v3*', 'v5', 'v6', 'v7', 'v8']);
      });

      it('refuses to rotate when nothing but the default could go', async () => {
        const account = await newAccount();
        await newPolicy(account.accountId, 'Single');
        await expectRamkeyError(
          newVersion(account.accountId, 'Single', { rotate: true, setAsDefault: true, maxVersions: 1 }),
          'LimitExceeded.Policy.Version',
        );
        expect(await versionIds(account.accountId, 'Single')).toEqual(['v1*']);
      });

      // A version ID names one document for the life of the policy.
      it('never issues a version ID twice, not even after deleting the newest version', async () => {
        const account = await newAccount();
        await newPolicy(account.accountId, 'NoReuse');
        await newVersion(account.accountId, 'NoReuse');
        await newVersion(account.accountId, 'NoReuse');
        await store.deletePolicyVersion(account.accountId, 'NoReuse', 'v3', T0 + 50);
        await store.deletePolicyVersion(account.accountId, 'NoReuse', 'v2', T0 + 51);
        expect((await newVersion(account.accountId, 'NoReuse')).versionId).toBe('v4');
        expect(await versionIds(account.accountId, 'NoReuse')).toEqual(['v1*', 'v4']);
        expect((await store.getPolicy(account.accountId, 'NoReuse'))?.updatedAt).toBe(T0 + 100);
      });

      it('sets the default version, refusing an unknown version or policy', async () => {
        const account = await newAccount();
        const policy = await newPolicy(account.accountId, 'Switch');
        await newVersion(account.accountId, 'Switch');
        expect(await store.setDefaultPolicyVersion(account.accountId, 'switch', 'v2', T0 + 7)).toEqual({
          ...policy,
          defaultVersion: 'v2',
          updatedAt: T0 + 7,
        });
        expect((await store.getPolicyVersion(account.accountId, 'Switch', 'v2'))?.isDefault).toBe(true);
        expect((await store.getPolicyVersion(account.accountId, 'Switch', 'v1'))?.isDefault).toBe(false);
        // Already the default: fine.
        expect(
          (await store.setDefaultPolicyVersion(account.accountId, 'Switch', 'v2', T0 + 8)).defaultVersion,
        ).toBe('v2');
        for (const id of ['v3', 'V1', 'x']) {
          await expectRamkeyError(
            store.setDefaultPolicyVersion(account.accountId, 'Switch', id, T0 + 9),
            'EntityNotExist.Policy.Version',
          );
        }
        await expectRamkeyError(
          store.setDefaultPolicyVersion(account.accountId, 'Nope', 'v1', T0 + 9),
          'EntityNotExist.Policy',
        );
        expect((await store.getPolicy(account.accountId, 'Switch'))?.defaultVersion).toBe('v2');
      });

      it('deletes a non-default version, refusing the default and unknown ones', async () => {
        const account = await newAccount();
        await newPolicy(account.accountId, 'Pruned');
        await newVersion(account.accountId, 'Pruned', { setAsDefault: true });
        await expectRamkeyError(
          store.deletePolicyVersion(account.accountId, 'Pruned', 'v2', T0 + 1),
          'DeleteConflict.Policy.Version.Default',
        );
        for (const id of ['v3', 'v0', 'bogus']) {
          await expectRamkeyError(
            store.deletePolicyVersion(account.accountId, 'Pruned', id, T0 + 1),
            'EntityNotExist.Policy.Version',
          );
        }
        await expectRamkeyError(
          store.deletePolicyVersion(account.accountId, 'Nope', 'v1', T0 + 1),
          'EntityNotExist.Policy',
        );
        await store.deletePolicyVersion(account.accountId, 'pruned', 'v1', T0 + 2);
        expect(await versionIds(account.accountId, 'Pruned')).toEqual(['v2*']);
        await expectRamkeyError(
          store.deletePolicyVersion(account.accountId, 'Pruned', 'v1', T0 + 3),
          'EntityNotExist.Policy.Version',
        );
      });

      it('numbers concurrent new versions uniquely and lets exactly as many as fit succeed', async () => {
        const account = await newAccount();
        await newPolicy(account.accountId, 'Crowded');
        const results = await Promise.allSettled(
          Array.from({ length: 7 }, (_, i) =>
            newVersion(account.accountId, 'Crowded', { createdAt: T0 + i }),
          ),
        );
        expect(outcomes(results)).toEqual({ ok: 4, 'LimitExceeded.Policy.Version': 3 });
        expect(await versionIds(account.accountId, 'Crowded')).toEqual(['v1*', 'v2', 'v3', 'v4', 'v5']);
      });
    });

    describe('policy attachments: custom policies, limits and groups', () => {
      it('records a Custom attachment under the name as created, whatever case it was attached with', async () => {
        const account = await newAccount();
        await newPolicy(account.accountId, 'MixedCase');
        const user = await newUser(account.accountId, 'casey');
        expect(await attachToUser(user, 'Custom', 'mixedcase', T0 + 1)).toBe(true);
        expect(await attachToUser(user, 'Custom', 'MIXEDCASE', T0 + 2)).toBe(false);
        expect(await store.listPoliciesForUser(account.accountId, user.userId)).toEqual([
          {
            accountId: account.accountId,
            userId: user.userId,
            policyType: 'Custom',
            policyName: 'MixedCase',
            attachedAt: T0 + 1,
          },
        ]);
        expect(await store.detachPolicyFromUser(account.accountId, user.userId, 'Custom', 'mIxEdCaSe')).toBe(
          true,
        );
        expect(await store.detachPolicyFromUser(account.accountId, user.userId, 'Custom', 'MixedCase')).toBe(
          false,
        );
      });

      it('refuses a Custom policy the account lacks with EntityNotExist.Policy, an unknown user first', async () => {
        const account = await newAccount();
        const user = await newUser(account.accountId, 'nopol');
        await expectRamkeyError(attachToUser(user, 'Custom', 'Missing'), 'EntityNotExist.Policy');
        await expectRamkeyError(
          store.attachPolicyToUser({
            accountId: account.accountId,
            userId: generateUserId(cryptoRandom),
            policyType: 'Custom',
            policyName: 'Missing',
            attachedAt: T0,
          }),
          'EntityNotExist.User',
        );
        // A System policy is recorded by name: the service, not the store, knows the built-in ones.
        expect(await attachToUser(user, 'System', 'AnyBuiltInName')).toBe(true);
        expect(await store.listPoliciesForUser(account.accountId, user.userId)).toHaveLength(1);
      });

      it('detaches only that attachment, and answers false for one that does not exist', async () => {
        const a = await newAccount();
        const b = await newAccount();
        const user = await newUser(a.accountId, 'detachee');
        await attachToUser(user, 'System', 'ReadOnlyAccess');
        await attachToUser(user, 'System', 'AdministratorAccess');
        expect(await store.detachPolicyFromUser(b.accountId, user.userId, 'System', 'ReadOnlyAccess')).toBe(
          false,
        );
        expect(await store.detachPolicyFromUser(a.accountId, user.userId, 'Custom', 'ReadOnlyAccess')).toBe(
          false,
        );
        expect(await store.detachPolicyFromUser(a.accountId, user.userId, 'System', 'readonlyaccess')).toBe(
          false,
        );
        expect(await store.detachPolicyFromUser(a.accountId, user.userId, 'System', 'ReadOnlyAccess')).toBe(
          true,
        );
        expect((await store.listPoliciesForUser(a.accountId, user.userId)).map((p) => p.policyName)).toEqual([
          'AdministratorAccess',
        ]);
      });

      it('limits attachments per user and per type with LimitExceeded.User.Policy, after the duplicate check', async () => {
        const account = await newAccount();
        const user = await newUser(account.accountId, 'limited');
        const limits = { System: 2, Custom: 1 };
        await newPolicy(account.accountId, 'C1');
        await newPolicy(account.accountId, 'C2');
        expect(await attachToUser(user, 'System', 'S1', T0, limits)).toBe(true);
        expect(await attachToUser(user, 'System', 'S2', T0, limits)).toBe(true);
        await expectRamkeyError(attachToUser(user, 'System', 'S3', T0, limits), 'LimitExceeded.User.Policy');
        expect(await attachToUser(user, 'System', 'S2', T0, limits)).toBe(false);
        expect(await attachToUser(user, 'Custom', 'C1', T0, limits)).toBe(true);
        await expectRamkeyError(attachToUser(user, 'Custom', 'C2', T0, limits), 'LimitExceeded.User.Policy');
        expect(await store.listPoliciesForUser(account.accountId, user.userId)).toHaveLength(3);
      });

      it("defaults to RAM's quota: 10 Custom policies per user", async () => {
        const account = await newAccount();
        const user = await newUser(account.accountId, 'quota');
        for (let i = 0; i < 11; i++) await newPolicy(account.accountId, `Q${i}`);
        for (let i = 0; i < 10; i++) {
          await store.attachPolicyToUser({
            accountId: account.accountId,
            userId: user.userId,
            policyType: 'Custom',
            policyName: `Q${i}`,
            attachedAt: T0,
          });
        }
        await expectRamkeyError(
          store.attachPolicyToUser({
            accountId: account.accountId,
            userId: user.userId,
            policyType: 'Custom',
            policyName: 'Q10',
            attachedAt: T0,
          }),
          'LimitExceeded.User.Policy',
        );
      });

      // The per-user count and the insert are one atomic step.
      it('lets exactly the limit of 12 concurrent attachments to one user succeed', async () => {
        const account = await newAccount();
        const user = await newUser(account.accountId, 'crowded');
        const results = await Promise.allSettled(
          Array.from({ length: 12 }, (_, i) =>
            attachToUser(user, 'System', `Sys${i}`, T0 + i, { System: 10, Custom: 10 }),
          ),
        );
        expect(outcomes(results)).toEqual({ ok: 10, 'LimitExceeded.User.Policy': 2 });
        expect(await store.listPoliciesForUser(account.accountId, user.userId)).toHaveLength(10);
      });

      it('attaches policies to groups: listed oldest first, limited per type, detached once', async () => {
        const account = await newAccount();
        const group = await newGroup(account.accountId, 'attached');
        await newPolicy(account.accountId, 'GroupPolicy');
        const limits = { System: 1, Custom: 1 };
        expect(await attachToGroup(group, 'Custom', 'grouppolicy', T0 + 2, limits)).toBe(true);
        expect(await attachToGroup(group, 'System', 'ReadOnlyAccess', T0 + 1, limits)).toBe(true);
        expect(await attachToGroup(group, 'System', 'ReadOnlyAccess', T0 + 3, limits)).toBe(false);
        await expectRamkeyError(
          attachToGroup(group, 'System', 'AdministratorAccess', T0, limits),
          'LimitExceeded.Group.Policy',
        );
        expect(await store.listPoliciesForGroup(account.accountId, group.groupId)).toEqual([
          {
            accountId: account.accountId,
            groupId: group.groupId,
            policyType: 'System',
            policyName: 'ReadOnlyAccess',
            attachedAt: T0 + 1,
          },
          {
            accountId: account.accountId,
            groupId: group.groupId,
            policyType: 'Custom',
            policyName: 'GroupPolicy',
            attachedAt: T0 + 2,
          },
        ]);
        expect(
          await store.detachPolicyFromGroup(account.accountId, group.groupId, 'Custom', 'GROUPPOLICY'),
        ).toBe(true);
        expect(
          await store.detachPolicyFromGroup(account.accountId, group.groupId, 'Custom', 'GroupPolicy'),
        ).toBe(false);
        expect(await store.listPoliciesForGroup(account.accountId, group.groupId)).toHaveLength(1);
      });

      it("refuses to attach to an unknown group or another account's group with EntityNotExist.Group", async () => {
        const a = await newAccount();
        const b = await newAccount();
        const group = await newGroup(a.accountId, 'mine');
        await newPolicy(b.accountId, 'TheirPolicy');
        await expectRamkeyError(
          store.attachPolicyToGroup(
            {
              accountId: b.accountId,
              groupId: group.groupId,
              policyType: 'System',
              policyName: 'X',
              attachedAt: T0,
            },
            RAM_POLICY_ATTACHMENT_LIMITS,
          ),
          'EntityNotExist.Group',
        );
        await expectRamkeyError(
          store.attachPolicyToGroup(
            {
              accountId: b.accountId,
              groupId: group.groupId,
              policyType: 'Custom',
              policyName: 'TheirPolicy',
              attachedAt: T0,
            },
            RAM_POLICY_ATTACHMENT_LIMITS,
          ),
          'EntityNotExist.Group',
        );
        expect(await store.listPoliciesForGroup(a.accountId, group.groupId)).toEqual([]);
        expect(await store.listPoliciesForGroup(b.accountId, group.groupId)).toEqual([]);
      });

      it('lists the users and groups a policy is attached to, with attach dates, within the account', async () => {
        const a = await newAccount();
        const b = await newAccount();
        await newPolicy(a.accountId, 'Shared');
        const u1 = await newUser(a.accountId, 'u-one');
        const u2 = await newUser(a.accountId, 'u-two');
        const g1 = await newGroup(a.accountId, 'g-one');
        await attachToUser(u2, 'Custom', 'Shared', T0 + 1);
        await attachToUser(u1, 'Custom', 'shared', T0 + 2);
        await attachToGroup(g1, 'Custom', 'Shared', T0 + 3);
        await attachToUser(u1, 'System', 'Shared', T0 + 4);

        expect(await store.listEntitiesForPolicy(a.accountId, 'Custom', 'SHARED')).toEqual({
          users: [
            { user: u2, attachedAt: T0 + 1 },
            { user: u1, attachedAt: T0 + 2 },
          ],
          groups: [{ group: g1, attachedAt: T0 + 3 }],
        });
        expect(await store.listEntitiesForPolicy(a.accountId, 'System', 'Shared')).toEqual({
          users: [{ user: u1, attachedAt: T0 + 4 }],
          groups: [],
        });
        expect(await store.listEntitiesForPolicy(a.accountId, 'Custom', 'Unknown')).toEqual({
          users: [],
          groups: [],
        });
        expect(await store.listEntitiesForPolicy(b.accountId, 'Custom', 'Shared')).toEqual({
          users: [],
          groups: [],
        });
      });
    });

    describe('effective policies', () => {
      it("loads a user's own and its groups' attachments, each Custom one with its default document", async () => {
        const account = await newAccount();
        const user = await newUser(account.accountId, 'effective');
        const bystander = await newUser(account.accountId, 'bystander');
        const ops = await newGroup(account.accountId, 'Ops');
        const audit = await newGroup(account.accountId, 'audit');
        const unjoined = await newGroup(account.accountId, 'unjoined');
        await newPolicy(account.accountId, 'Mine', documentFor('mine:v1'));
        await newPolicy(account.accountId, 'Theirs', documentFor('theirs:v1'));
        await store.createPolicyVersion(
          account.accountId,
          'Theirs',
          { document: documentFor('theirs:v2'), setAsDefault: true, rotate: false, createdAt: T0 + 1 },
          5,
        );
        await store.createPolicyVersion(
          account.accountId,
          'Mine',
          { document: documentFor('mine:v2'), setAsDefault: false, rotate: false, createdAt: T0 + 1 },
          5,
        );
        await store.addUserToGroup(membershipOf(user, ops), 10);
        await store.addUserToGroup(membershipOf(user, audit), 10);
        await attachToUser(user, 'Custom', 'Mine', T0 + 20);
        await attachToUser(user, 'System', 'ReadOnlyAccess', T0 + 10);
        await attachToGroup(ops, 'Custom', 'Theirs', T0 + 30);
        await attachToGroup(ops, 'System', 'ReadOnlyAccess', T0 + 5);
        await attachToGroup(audit, 'Custom', 'Mine', T0 + 1);
        await attachToGroup(unjoined, 'System', 'AdministratorAccess', T0);
        await attachToUser(bystander, 'System', 'AdministratorAccess', T0);

        const expected: EffectivePolicy[] = [
          { policyType: 'System', policyName: 'ReadOnlyAccess', via: 'user' },
          { policyType: 'Custom', policyName: 'Mine', document: documentFor('mine:v1'), via: 'user' },
          {
            policyType: 'Custom',
            policyName: 'Mine',
            document: documentFor('mine:v1'),
            via: { group: 'audit' },
          },
          { policyType: 'System', policyName: 'ReadOnlyAccess', via: { group: 'Ops' } },
          {
            policyType: 'Custom',
            policyName: 'Theirs',
            document: documentFor('theirs:v2'),
            via: { group: 'Ops' },
          },
        ];
        expect(await store.loadEffectivePolicies(account.accountId, user.userId)).toEqual(expected);

        // A new default shows at once; leaving a group drops what came through it.
        await store.setDefaultPolicyVersion(account.accountId, 'Mine', 'v2', T0 + 40);
        await store.removeUserFromGroup(account.accountId, user.userId, ops.groupId);
        expect(await store.loadEffectivePolicies(account.accountId, user.userId)).toEqual([
          { policyType: 'System', policyName: 'ReadOnlyAccess', via: 'user' },
          { policyType: 'Custom', policyName: 'Mine', document: documentFor('mine:v2'), via: 'user' },
          {
            policyType: 'Custom',
            policyName: 'Mine',
            document: documentFor('mine:v2'),
            via: { group: 'audit' },
          },
        ]);
      });

      // Loading permissions is scoped like everything else: another account's user has none here.
      it('loads nothing for an unknown user or for a user of another account', async () => {
        const a = await newAccount();
        const b = await newAccount();
        const user = await newUser(a.accountId, 'scoped');
        await attachToUser(user, 'System', 'AdministratorAccess');
        expect(await store.loadEffectivePolicies(a.accountId, generateUserId(cryptoRandom))).toEqual([]);
        expect(await store.loadEffectivePolicies(b.accountId, user.userId)).toEqual([]);
        expect(await store.loadEffectivePolicies(a.accountId, user.userId)).toHaveLength(1);
      });
    });

    describe('security preferences', () => {
      it('answers the defaults for an account that never set any', async () => {
        const account = await newAccount();
        expect(await store.getSecurityPreference(account.accountId)).toEqual({
          allowUserToManageAccessKeys: false,
          maxIdleDaysForAccessKeys: 730,
        });
        expect(DEFAULT_SECURITY_PREFERENCE).toEqual({
          allowUserToManageAccessKeys: false,
          maxIdleDaysForAccessKeys: 730,
        });
      });

      it('applies partial patches, keeping what each leaves out, per account', async () => {
        const a = await newAccount();
        const b = await newAccount();
        expect(await store.setSecurityPreference(a.accountId, { maxIdleDaysForAccessKeys: 90 })).toEqual({
          allowUserToManageAccessKeys: false,
          maxIdleDaysForAccessKeys: 90,
        });
        expect(await store.setSecurityPreference(a.accountId, { allowUserToManageAccessKeys: true })).toEqual(
          {
            allowUserToManageAccessKeys: true,
            maxIdleDaysForAccessKeys: 90,
          },
        );
        expect(await store.setSecurityPreference(a.accountId, {})).toEqual({
          allowUserToManageAccessKeys: true,
          maxIdleDaysForAccessKeys: 90,
        });
        expect(await store.getSecurityPreference(a.accountId)).toEqual({
          allowUserToManageAccessKeys: true,
          maxIdleDaysForAccessKeys: 90,
        });
        expect(
          await store.setSecurityPreference(a.accountId, {
            allowUserToManageAccessKeys: false,
            maxIdleDaysForAccessKeys: 365,
          }),
        ).toEqual({ allowUserToManageAccessKeys: false, maxIdleDaysForAccessKeys: 365 });
        expect(await store.getSecurityPreference(b.accountId)).toEqual(DEFAULT_SECURITY_PREFERENCE);
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

    describe('audit trail', () => {
      function event(accountId: string | null, patch: Partial<AuditEventRecord> = {}): AuditEventRecord {
        return {
          eventId: cryptoRandom.uuid(),
          eventTime: T0,
          accountId,
          accessKeyId: '',
          principalType: accountId === null ? '' : 'root-account',
          principalId: accountId ?? '',
          userName: accountId === null ? '' : 'root',
          eventName: 'ListUsers',
          eventRw: 'Read',
          serviceName: 'Ram',
          apiVersion: '2015-05-01',
          eventSource: '127.0.0.1:8080',
          requestId: cryptoRandom.uuid().toUpperCase(),
          sourceIp: '127.0.0.1',
          userAgent: 'contract-test',
          errorCode: '',
          errorMessage: '',
          requestParameters: { MaxItems: '10', Note: 'ünïcödé' },
          ...patch,
        };
      }
      const lookup = (accountId: string | null, patch: object = {}) =>
        store.lookupAuditEvents({
          accountId,
          startTime: 0,
          endTime: T0 * 2,
          direction: 'BACKWARD',
          limit: 100,
          ...patch,
        });

      it('appends events and looks them up by account, key, name, user, kind and time, newest first', async () => {
        const account = await newAccount();
        const other = await newAccount();
        const key = generateAccessKeyId(cryptoRandom);
        const events = [
          event(account.accountId, { eventTime: T0 + 1, accessKeyId: key }),
          event(account.accountId, {
            eventTime: T0 + 2,
            accessKeyId: key,
            eventName: 'CreateUser',
            eventRw: 'Write',
          }),
          event(account.accountId, { eventTime: T0 + 3, userName: 'alice', principalType: 'ram-user' }),
          event(account.accountId, {
            eventTime: T0 + 4,
            accessKeyId: key,
            errorCode: 'NoPermission',
            errorMessage: 'no',
          }),
          event(other.accountId, { eventTime: T0 + 5, accessKeyId: key }),
          event(null, { eventTime: T0 + 6, accessKeyId: 'LTAI****' }),
        ];
        await store.recordActivity({ events, lastUsed: [], keyUsage: [] });

        const all = await lookup(account.accountId);
        expect(all.map((e) => e.eventTime)).toEqual([T0 + 4, T0 + 3, T0 + 2, T0 + 1]);
        expect(all[3]).toEqual(events[0]);
        expect(all[0]).toMatchObject({ errorCode: 'NoPermission', errorMessage: 'no' });
        expect((await lookup(account.accountId, { accessKeyId: key })).map((e) => e.eventTime)).toEqual([
          T0 + 4,
          T0 + 2,
          T0 + 1,
        ]);
        expect(
          (await lookup(account.accountId, { eventName: 'CreateUser' })).map((e) => e.eventTime),
        ).toEqual([T0 + 2]);
        expect((await lookup(account.accountId, { eventRw: 'Write' })).map((e) => e.eventTime)).toEqual([
          T0 + 2,
        ]);
        expect((await lookup(account.accountId, { userName: 'alice' })).map((e) => e.eventTime)).toEqual([
          T0 + 3,
        ]);
        expect(
          (await lookup(account.accountId, { eventId: events[1]?.eventId })).map((e) => e.eventTime),
        ).toEqual([T0 + 2]);
        expect(
          (await lookup(account.accountId, { startTime: T0 + 2, endTime: T0 + 3 })).map((e) => e.eventTime),
        ).toEqual([T0 + 3, T0 + 2]);
        expect(
          (await lookup(account.accountId, { direction: 'FORWARD', limit: 2 })).map((e) => e.eventTime),
        ).toEqual([T0 + 1, T0 + 2]);
        // Another account's events and the unattributed ones are apart.
        expect((await lookup(other.accountId)).map((e) => e.eventTime)).toEqual([T0 + 5]);
        expect((await lookup(null)).some((e) => e.eventId === events[5]?.eventId)).toBe(true);
      });

      it('pages by (time, ID) without skipping or repeating events that share an instant', async () => {
        const account = await newAccount();
        const events = Array.from({ length: 7 }, (_, i) =>
          event(account.accountId, { eventTime: T0 + (i % 3) }),
        );
        await store.recordActivity({ events, lastUsed: [], keyUsage: [] });
        for (const direction of ['BACKWARD', 'FORWARD'] as const) {
          const seen: string[] = [];
          let after: { eventTime: number; eventId: string } | undefined;
          for (;;) {
            const page = await lookup(account.accountId, { direction, limit: 2, ...(after && { after }) });
            seen.push(...page.map((e) => e.eventId));
            const last = page.at(-1);
            if (page.length < 2 || !last) break;
            after = { eventTime: last.eventTime, eventId: last.eventId };
          }
          expect(new Set(seen).size).toBe(7);
          expect(seen).toHaveLength(7);
        }
      });

      it('commits a slot event with the first change its work makes, and only then', async () => {
        const account = await newAccount();
        const user = await newUser(account.accountId, 'audited');
        // A write that changes nothing commits no event.
        const noop: AuditSlot = {
          event: event(account.accountId, { eventName: 'DetachPolicyFromUser' }),
          written: false,
        };
        await store.withAuditEvent(noop, () =>
          store.detachPolicyFromUser(account.accountId, user.userId, 'System', 'ReadOnlyAccess'),
        );
        expect(noop.written).toBe(false);
        // A write that fails rolls back its event with it.
        const failing: AuditSlot = {
          event: event(account.accountId, { eventName: 'CreateUser' }),
          written: false,
        };
        await expectRamkeyError(
          store.withAuditEvent(failing, () => newUser(account.accountId, 'audited')),
          'EntityAlreadyExists.User',
        );
        expect(failing.written).toBe(false);
        // A change commits its event; a second write in the same work does not repeat it.
        const slot: AuditSlot = {
          event: event(account.accountId, { eventName: 'CreateUser', eventRw: 'Write' }),
          written: false,
        };
        await store.withAuditEvent(slot, async () => {
          await newUser(account.accountId, 'audited-2');
          await newUser(account.accountId, 'audited-3');
        });
        expect(slot.written).toBe(true);
        // Writes outside the work are not affected.
        await newUser(account.accountId, 'audited-4');
        const stored = await lookup(account.accountId);
        expect(stored.map((e) => e.eventId)).toEqual([slot.event.eventId]);
        await store.setAuditOutcome(slot.event.eventId, 'InternalError', 'failed after the change');
        expect((await lookup(account.accountId))[0]).toMatchObject({
          errorCode: 'InternalError',
          errorMessage: 'failed after the change',
        });
      });

      it('accumulates key usage per service, action and address, widening first and last use', async () => {
        const account = await newAccount();
        const key = generateAccessKeyId(cryptoRandom);
        const use = (at: number, ip: string, count: number, lastEventId: string) => ({
          accessKeyId: key,
          accountId: account.accountId,
          serviceName: 'Ram',
          eventName: 'ListUsers',
          sourceIp: ip,
          firstUsedAt: at,
          lastUsedAt: at,
          callCount: count,
          lastEventId,
        });
        await store.recordActivity({
          events: [],
          lastUsed: [],
          keyUsage: [use(T0 + 10, '127.0.0.1', 3, 'e1')],
        });
        await store.recordActivity({
          events: [],
          lastUsed: [],
          keyUsage: [use(T0 + 20, '127.0.0.1', 2, 'e2'), use(T0 + 15, '127.0.0.2', 1, 'e3')],
        });
        // A late batch carrying an older use neither moves last use back nor replaces its event.
        await store.recordActivity({
          events: [],
          lastUsed: [],
          keyUsage: [use(T0 + 5, '127.0.0.1', 1, 'e0')],
        });
        const rows = await store.listKeyUsage(account.accountId, key);
        expect(rows).toEqual([
          { ...use(T0 + 20, '127.0.0.1', 6, 'e2'), firstUsedAt: T0 + 5 },
          use(T0 + 15, '127.0.0.2', 1, 'e3'),
        ]);
        const other = await newAccount();
        expect(await store.listKeyUsage(other.accountId, key)).toEqual([]);
      });

      it('merges one slot given several times in a batch as if the uses came one at a time', async () => {
        const account = await newAccount();
        const key = generateAccessKeyId(cryptoRandom);
        const use = (first: number, last: number, count: number, lastEventId: string) => ({
          accessKeyId: key,
          accountId: account.accountId,
          serviceName: 'Ims',
          eventName: 'GetUser',
          sourceIp: '192.0.2.9',
          firstUsedAt: T0 + first,
          lastUsedAt: T0 + last,
          callCount: count,
          lastEventId,
        });
        await store.recordActivity({ events: [], lastUsed: [], keyUsage: [use(25, 25, 1, 'e25')] });
        await store.recordActivity({
          events: [],
          lastUsed: [],
          keyUsage: [
            use(12, 20, 2, 'e20'),
            use(30, 30, 1, 'e30'),
            // At the same instant as the latest so far: the earlier use keeps the event.
            use(30, 30, 3, 'e30-again'),
            use(10, 15, 4, 'e15'),
          ],
        });
        expect(await store.listKeyUsage(account.accountId, key)).toEqual([use(10, 30, 11, 'e30')]);
      });

      it('adds up a usage batch larger than one statement takes', async () => {
        const account = await newAccount();
        const key = generateAccessKeyId(cryptoRandom);
        const slots = Array.from({ length: 1100 }, (_, i) => ({
          accessKeyId: key,
          accountId: account.accountId,
          serviceName: 'Sts',
          eventName: 'AssumeRole',
          sourceIp: `10.1.${Math.floor(i / 256)}.${i % 256}`,
          firstUsedAt: T0 + i,
          lastUsedAt: T0 + i,
          callCount: 1,
          lastEventId: `e${i}`,
        }));
        await store.recordActivity({ events: [], lastUsed: [], keyUsage: slots });
        await store.recordActivity({
          events: [],
          lastUsed: [],
          keyUsage: slots.map((u) => ({
            ...u,
            lastUsedAt: u.lastUsedAt + 5000,
            lastEventId: `${u.lastEventId}b`,
          })),
        });
        const rows = await store.listKeyUsage(account.accountId, key);
        expect(rows).toHaveLength(1100);
        for (const row of rows) {
          const i = Number(row.lastEventId.slice(1, -1));
          expect(row).toEqual({
            ...slots[i],
            lastUsedAt: T0 + i + 5000,
            callCount: 2,
            lastEventId: `e${i}b`,
          });
        }
      });

      it('gets events by ID within the account only', async () => {
        const account = await newAccount();
        const other = await newAccount();
        const mine = event(account.accountId);
        const theirs = event(other.accountId);
        await store.recordActivity({ events: [mine, theirs], lastUsed: [], keyUsage: [] });
        expect(await store.getAuditEvents(account.accountId, [mine.eventId, theirs.eventId])).toEqual([mine]);
        expect(await store.getAuditEvents(account.accountId, [])).toEqual([]);
      });

      it('purges events older than a bound, in batches, oldest first', async () => {
        const account = await newAccount();
        // Far in the past, so that no other test's events fall under the bound.
        const events = Array.from({ length: 5 }, (_, i) => event(account.accountId, { eventTime: 1000 + i }));
        const kept = event(account.accountId, { eventTime: 2000 });
        await store.recordActivity({ events: [...events, kept], lastUsed: [], keyUsage: [] });
        expect(await store.purgeAuditEvents(1003, 2)).toBe(2);
        expect(await store.purgeAuditEvents(1003, 2)).toBe(1);
        expect(await store.purgeAuditEvents(1003, 2)).toBe(0);
        const left = await lookup(account.accountId, { startTime: 0, endTime: 3000 });
        expect(left.map((e) => e.eventTime)).toEqual([2000, 1004, 1003]);
      });

      it("finds an account's key whether live or deleted, and never another account's", async () => {
        const account = await newAccount();
        const other = await newAccount();
        const key = await newKey(account.accountId, null);
        expect(await store.findAccessKey(account.accountId, key.accessKeyId)).toEqual(key);
        await store.deleteAccessKey(account.accountId, null, key.accessKeyId, T0 + 1);
        // Purged: out of the live state for good, its secret erased, its owner still known.
        expect(await store.findAccessKey(account.accountId, key.accessKeyId)).toEqual({
          ...key,
          state: 'purged',
          sealedSecret: '',
          deletedAt: T0 + 1,
          updatedAt: T0 + 1,
        });
        expect(await store.findAccessKey(other.accountId, key.accessKeyId)).toBeUndefined();
      });
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
        expect(await store.deleteAccessKey(account.accountId, amy.userId, gone.accessKeyId, T0 + 50)).toBe(
          true,
        );
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
