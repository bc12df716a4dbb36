// The AccessKeyPolicyStore contract: network access policies per account and per key (src/store/store.ts),
// and the audit trail's mark on calls an Audit-mode policy would deny, as tests every adapter must pass.
import { beforeAll, describe, expect, it } from 'vitest';
import { cryptoRandom } from '../../src/core/random.js';
import type { AuditEventRecord, Store } from '../../src/store/store.js';
import { T0, bin, type ContractStore, useContractStore } from './contract-fixtures.js';

export function describeAccessKeyPolicyStoreContract(
  name: string,
  makeStore: () => Promise<ContractStore>,
): void {
  describe(`AccessKeyPolicyStore contract: ${name}`, () => {
    const fixtures = useContractStore(makeStore);
    const { newAccount, newUser, newKey } = fixtures;
    let store: Store;

    beforeAll(() => {
      store = fixtures.store;
    });

    const doc = (ip: string) =>
      JSON.stringify({
        Version: 1,
        Status: 'Active',
        Statements: [{ Type: 'ClassicWhiteList', IPList: [ip] }],
      });

    it('keeps one policy per account and one per key, each put replacing the last', async () => {
      const account = await newAccount();
      const alice = await newUser(account.accountId, 'alice');
      const key = await newKey(account.accountId, alice.userId);
      const rootKey = await newKey(account.accountId, null);
      expect(await store.getAccessKeyPolicy(account.accountId, null)).toBeUndefined();
      expect(await store.getAccessKeyPolicy(account.accountId, key.accessKeyId)).toBeUndefined();

      await store.putAccountAccessKeyPolicy(account.accountId, doc('10.0.0.1'), T0 + 1);
      await store.putAccountAccessKeyPolicy(account.accountId, doc('10.0.0.2'), T0 + 2);
      const owner = { accountId: account.accountId, userId: alice.userId };
      expect(await store.putAccessKeyPolicy(owner, key.accessKeyId, doc('10.0.0.3'), T0 + 3)).toBe(true);
      expect(await store.putAccessKeyPolicy(owner, key.accessKeyId, doc('10.0.0.4'), T0 + 4)).toBe(true);
      const root = { accountId: account.accountId, userId: null };
      expect(await store.putAccessKeyPolicy(root, rootKey.accessKeyId, doc('10.0.0.5'), T0 + 5)).toBe(true);

      expect(await store.getAccessKeyPolicy(account.accountId, null)).toEqual({
        accountId: account.accountId,
        accessKeyId: null,
        document: doc('10.0.0.2'),
        updatedAt: T0 + 2,
      });
      expect(await store.getAccessKeyPolicy(account.accountId, key.accessKeyId)).toEqual({
        accountId: account.accountId,
        accessKeyId: key.accessKeyId,
        document: doc('10.0.0.4'),
        updatedAt: T0 + 4,
      });
      const all = await store.listAccessKeyPolicies(account.accountId);
      expect(all.map((p) => [p.accessKeyId, p.document]).sort()).toEqual(
        [
          [null, doc('10.0.0.2')],
          [key.accessKeyId, doc('10.0.0.4')],
          [rootKey.accessKeyId, doc('10.0.0.5')],
        ].sort(),
      );
    });

    // Security: a policy can only ever be put on a live key of the principal named, in its account.
    it('refuses, changing nothing, a key of another principal or account, an unknown one and a deleted one', async () => {
      const account = await newAccount();
      const alice = await newUser(account.accountId, 'alice');
      const bob = await newUser(account.accountId, 'bob');
      const key = await newKey(account.accountId, alice.userId);
      const other = await newAccount();
      const theirs = await newKey(other.accountId, null);
      const gone = await newKey(account.accountId, alice.userId);
      expect(
        await store.recycleAccessKey(account.accountId, alice.userId, gone.accessKeyId, bin(T0 + 1)),
      ).toBeDefined();

      const as = (userId: string | null, accountId = account.accountId) => ({ accountId, userId });
      expect(await store.putAccessKeyPolicy(as(bob.userId), key.accessKeyId, doc('10.0.0.1'), T0)).toBe(
        false,
      );
      expect(await store.putAccessKeyPolicy(as(null), key.accessKeyId, doc('10.0.0.1'), T0)).toBe(false);
      expect(await store.putAccessKeyPolicy(as(null), theirs.accessKeyId, doc('10.0.0.1'), T0)).toBe(false);
      expect(await store.putAccessKeyPolicy(as(alice.userId), gone.accessKeyId, doc('10.0.0.1'), T0)).toBe(
        false,
      );
      expect(
        await store.putAccessKeyPolicy(as(alice.userId), 'LTAI' + 'q'.repeat(20), doc('10.0.0.1'), T0),
      ).toBe(false);
      expect(await store.listAccessKeyPolicies(account.accountId)).toEqual([]);
      expect(await store.listAccessKeyPolicies(other.accountId)).toEqual([]);
      // Another account's policies are not found through this one.
      await store.putAccountAccessKeyPolicy(other.accountId, doc('10.9.9.9'), T0);
      expect(await store.getAccessKeyPolicy(account.accountId, null)).toBeUndefined();
    });

    it("keeps a key's policy listed once the key is deleted (a restored key comes back under it)", async () => {
      const account = await newAccount();
      const key = await newKey(account.accountId, null);
      const root = { accountId: account.accountId, userId: null };
      expect(await store.putAccessKeyPolicy(root, key.accessKeyId, doc('10.0.0.1'), T0)).toBe(true);
      expect(
        await store.recycleAccessKey(account.accountId, null, key.accessKeyId, bin(T0 + 1)),
      ).toBeDefined();
      expect((await store.listAccessKeyPolicies(account.accountId)).map((p) => p.accessKeyId)).toEqual([
        key.accessKeyId,
      ]);
    });

    describe('audit trail marks of Audit-mode policies', () => {
      function event(accountId: string, patch: Partial<AuditEventRecord>): AuditEventRecord {
        return {
          eventId: cryptoRandom.uuid(),
          eventTime: T0,
          accountId,
          accessKeyId: '',
          principalType: 'root-account',
          principalId: accountId,
          userName: 'root',
          eventName: 'GetCallerIdentity',
          eventRw: 'Read',
          serviceName: 'Sts',
          apiVersion: '2015-04-01',
          eventSource: '127.0.0.1:8080',
          requestId: cryptoRandom.uuid().toUpperCase(),
          sourceIp: '127.0.0.1',
          userAgent: 'contract-test',
          errorCode: '',
          errorMessage: '',
          requestParameters: {},
          ...patch,
        };
      }

      it('keeps the mark and its level, and looks up only the marked events, through a batch and a commit', async () => {
        const account = await newAccount();
        const byKey = event(account.accountId, { eventTime: T0 + 1, accessKeyPolicyAudit: 'AccessKey' });
        const plain = event(account.accountId, { eventTime: T0 + 2 });
        const byAccount = event(account.accountId, { eventTime: T0 + 3, accessKeyPolicyAudit: 'Account' });
        await store.recordActivity({ events: [byKey, plain], lastUsed: [], keyUsage: [] });
        // A write action's event commits with its change.
        const slot = { event: byAccount, written: false };
        await store.withAuditEvent(slot, () =>
          store.putAccountAccessKeyPolicy(account.accountId, doc('10.0.0.1'), T0),
        );
        expect(slot.written).toBe(true);

        const query = { accountId: account.accountId, startTime: 0, endTime: T0 * 2, limit: 10 } as const;
        const all = await store.lookupAuditEvents({ ...query, direction: 'FORWARD' });
        expect(all.events).toEqual([byKey, plain, byAccount]);
        expect(all.events[1]).not.toHaveProperty('accessKeyPolicyAudit');
        const marked = await store.lookupAuditEvents({
          ...query,
          direction: 'BACKWARD',
          accessKeyPolicyAudit: true,
        });
        expect(marked.events).toEqual([byAccount, byKey]);
      });

      it('pages through marked events sparse among many, each exactly once', async () => {
        const account = await newAccount();
        const events = Array.from({ length: 60 }, (_, i) =>
          event(account.accountId, {
            eventTime: T0 + i,
            ...(i % 7 === 3 && { accessKeyPolicyAudit: 'AccessKey' as const }),
          }),
        );
        await store.recordActivity({ events, lastUsed: [], keyUsage: [] });
        const found: string[] = [];
        let after;
        for (let pages = 0; pages < 50; pages++) {
          const page = await store.lookupAuditEvents({
            accountId: account.accountId,
            startTime: 0,
            endTime: T0 * 2,
            direction: 'FORWARD',
            limit: 3,
            accessKeyPolicyAudit: true,
            ...(after && { after }),
          });
          found.push(...page.events.map((e) => e.eventId));
          after = page.next;
          if (!after) break;
        }
        expect(found).toEqual(events.filter((e) => e.accessKeyPolicyAudit).map((e) => e.eventId));
      });
    });
  });
}
