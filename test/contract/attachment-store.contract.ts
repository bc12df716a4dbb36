// The AttachmentStore contract: the rules of policy attachments to users and groups, and effective policies (src/store/store.ts) as tests every adapter must pass.
import { beforeAll, describe, expect, it } from 'vitest';
import { generateUserId } from '../../src/core/keys/key-id.js';
import { cryptoRandom } from '../../src/core/random.js';
import { type EffectivePolicy, type PolicyAttachment, type Store } from '../../src/store/store.js';
import {
  T0,
  expectRamkeyError,
  outcomes,
  documentFor,
  type ContractStore,
  useContractStore,
} from './contract-fixtures.js';
import { defaultQuotas } from '../../src/services/quotas.js';

export function describeAttachmentStoreContract(name: string, makeStore: () => Promise<ContractStore>): void {
  describe(`AttachmentStore contract: ${name}`, () => {
    const fixtures = useContractStore(makeStore);
    const { newAccount, newUser, newGroup, newPolicy, membershipOf, attachToUser, attachToGroup } = fixtures;
    let store: Store;

    beforeAll(() => {
      store = fixtures.store;
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
        expect(await store.attachPolicyToUser(later, defaultQuotas.attachedPolicies)).toBe(true);
        expect(await store.attachPolicyToUser(earlier, defaultQuotas.attachedPolicies)).toBe(true);
        await store.attachPolicyToUser(
          {
            ...earlier,
            userId: other.userId,
            policyName: 'AdministratorAccess',
          },
          defaultQuotas.attachedPolicies,
        );
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
        expect(await store.attachPolicyToUser(attachment, defaultQuotas.attachedPolicies)).toBe(true);
        expect(
          await store.attachPolicyToUser(
            { ...attachment, attachedAt: T0 + 99 },
            defaultQuotas.attachedPolicies,
          ),
        ).toBe(false);
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
        expect(await store.attachPolicyToUser(system, defaultQuotas.attachedPolicies)).toBe(true);
        expect(
          await store.attachPolicyToUser(
            { ...system, policyType: 'Custom', attachedAt: T0 + 1 },
            defaultQuotas.attachedPolicies,
          ),
        ).toBe(true);
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
        await expectRamkeyError(
          store.attachPolicyToUser(base, defaultQuotas.attachedPolicies),
          'EntityNotExist.User',
        );
        await expectRamkeyError(
          store.attachPolicyToUser(
            { ...base, accountId: b.accountId, userId: user.userId },
            defaultQuotas.attachedPolicies,
          ),
          'EntityNotExist.User',
        );
        expect(await store.listPoliciesForUser(b.accountId, user.userId)).toEqual([]);
        expect(await store.listPoliciesForUser(a.accountId, user.userId)).toEqual([]);
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
          store.attachPolicyToUser(
            {
              accountId: account.accountId,
              userId: generateUserId(cryptoRandom),
              policyType: 'Custom',
              policyName: 'Missing',
              attachedAt: T0,
            },
            defaultQuotas.attachedPolicies,
          ),
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
          await store.attachPolicyToUser(
            {
              accountId: account.accountId,
              userId: user.userId,
              policyType: 'Custom',
              policyName: `Q${i}`,
              attachedAt: T0,
            },
            defaultQuotas.attachedPolicies,
          );
        }
        await expectRamkeyError(
          store.attachPolicyToUser(
            {
              accountId: account.accountId,
              userId: user.userId,
              policyType: 'Custom',
              policyName: 'Q10',
              attachedAt: T0,
            },
            defaultQuotas.attachedPolicies,
          ),
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
            defaultQuotas.attachedPolicies,
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
            defaultQuotas.attachedPolicies,
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
  });
}
