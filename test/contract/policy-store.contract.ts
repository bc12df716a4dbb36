// The PolicyStore contract: the rules of custom policies and their versions (src/store/store.ts) as tests every adapter must pass.
import { beforeAll, describe, expect, it } from 'vitest';
import { type PolicyRecord, type Store } from '../../src/store/store.js';
import {
  T0,
  expectRamkeyError,
  expectRejectedWith,
  outcomes,
  documentFor,
  type ContractStore,
  useContractStore,
} from './contract-fixtures.js';

export function describePolicyStoreContract(name: string, makeStore: () => Promise<ContractStore>): void {
  describe(`PolicyStore contract: ${name}`, () => {
    const fixtures = useContractStore(makeStore);
    const { newAccount, newUser, newGroup, newPolicy, attachToUser, attachToGroup } = fixtures;
    let store: Store;

    beforeAll(() => {
      store = fixtures.store;
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
  });
}
