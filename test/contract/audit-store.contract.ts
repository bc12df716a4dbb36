// The AuditStore contract: the rules of the audit trail and key usage (src/store/store.ts) as tests every adapter must pass.
import { beforeAll, describe, expect, it } from 'vitest';
import { generateAccessKeyId } from '../../src/core/keys/key-id.js';
import { cryptoRandom } from '../../src/core/random.js';
import {
  type AuditEventRecord,
  type AuditPosition,
  type AuditSlot,
  type Store,
} from '../../src/store/store.js';
import { T0, bin, expectRamkeyError, type ContractStore, useContractStore } from './contract-fixtures.js';

export function describeAuditStoreContract(name: string, makeStore: () => Promise<ContractStore>): void {
  describe(`AuditStore contract: ${name}`, () => {
    const fixtures = useContractStore(makeStore);
    const { newAccount, newUser, newKey } = fixtures;
    let store: Store;

    beforeAll(() => {
      store = fixtures.store;
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
      const lookupPage = (accountId: string | null, patch: object = {}) =>
        store.lookupAuditEvents({
          accountId,
          startTime: 0,
          endTime: T0 * 2,
          direction: 'BACKWARD',
          limit: 100,
          ...patch,
        });
      // Each of these tests' accounts holds a handful of events: one page holds them all.
      const lookup = async (accountId: string | null, patch: object = {}) =>
        (await lookupPage(accountId, patch)).events;

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
          let after: AuditPosition | undefined;
          for (;;) {
            const page = await lookupPage(account.accountId, {
              direction,
              limit: 2,
              ...(after && { after }),
            });
            seen.push(...page.events.map((e) => e.eventId));
            if (page.next === undefined) break;
            after = page.next;
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
        expect(await store.keyUsageByIp(account.accountId, key, { limit: 10 })).toEqual([
          { name: '127.0.0.1', firstUsedAt: T0 + 5, lastUsedAt: T0 + 20, callCount: 6, lastEventId: 'e2' },
          { name: '127.0.0.2', firstUsedAt: T0 + 15, lastUsedAt: T0 + 15, callCount: 1, lastEventId: 'e3' },
        ]);
        const other = await newAccount();
        expect(await store.keyUsageByIp(other.accountId, key, { limit: 10 })).toEqual([]);
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
        const group = { firstUsedAt: T0 + 10, lastUsedAt: T0 + 30, callCount: 11, lastEventId: 'e30' };
        expect(await store.keyUsageByIp(account.accountId, key, { limit: 10 })).toEqual([
          { name: '192.0.2.9', ...group },
        ]);
        expect(await store.keyUsageByEvent(account.accountId, key, { limit: 10 })).toEqual([
          { name: 'GetUser', ...group },
        ]);
        expect(await store.keyUsageByService(account.accountId, key, { limit: 10 })).toEqual([
          { name: 'Ims', ...group },
        ]);
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
        const rows = await store.keyUsageByIp(account.accountId, key, { limit: 2000 });
        expect(rows).toHaveLength(1100);
        for (const row of rows) {
          const i = Number(row.lastEventId.slice(1, -1));
          expect(row).toEqual({
            name: slots[i]?.sourceIp,
            firstUsedAt: T0 + i,
            lastUsedAt: T0 + i + 5000,
            callCount: 2,
            lastEventId: `e${i}b`,
          });
        }
        expect(await store.keyUsageByService(account.accountId, key, { limit: 10 })).toEqual([
          {
            name: 'Sts',
            firstUsedAt: T0,
            lastUsedAt: T0 + 1099 + 5000,
            callCount: 2200,
            lastEventId: 'e1099b',
          },
        ]);
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

      it("finds an account's key whether live, recycled or purged, and never another account's", async () => {
        const account = await newAccount();
        const other = await newAccount();
        const key = await newKey(account.accountId, null);
        expect(await store.findAccessKey(account.accountId, key.accessKeyId)).toEqual(key);
        await store.recycleAccessKey(account.accountId, null, key.accessKeyId, bin(T0 + 1));
        // In the recycle bin: out of the live state, its secret kept (it may come back).
        expect(await store.findAccessKey(account.accountId, key.accessKeyId)).toEqual({
          ...key,
          state: 'recycled',
          deletedAt: T0 + 1,
          updatedAt: T0 + 1,
        });
        expect(await store.purgeAccessKey(account.accountId, null, key.accessKeyId, T0 + 2)).toBe(true);
        // Purged: out of the live state for good, its secret erased, its owner still known.
        expect(await store.findAccessKey(account.accountId, key.accessKeyId)).toEqual({
          ...key,
          state: 'purged',
          sealedSecret: '',
          deletedAt: T0 + 1,
          updatedAt: T0 + 2,
        });
        expect(await store.findAccessKey(other.accountId, key.accessKeyId)).toBeUndefined();
      });
    });
  });
}
