// The key usage contract: a key's usage grouped by source IP, action and service (src/store/store.ts
// keyUsageBy*), ordered by last use and paged by cursor, as tests every adapter must pass.
import { beforeAll, describe, expect, it } from 'vitest';
import { generateAccessKeyId } from '../../src/core/keys/key-id.js';
import { cryptoRandom } from '../../src/core/random.js';
import type { KeyUsageGroup, KeyUsageGroupQuery, KeyUsageUpdate, Store } from '../../src/store/store.js';
import { T0, type ContractStore, useContractStore } from './contract-fixtures.js';

type Read = (query: KeyUsageGroupQuery) => Promise<KeyUsageGroup[]>;

/** Every group, following the cursor page by page; fails rather than loop on a cursor that stalls. */
async function allPages(read: Read, query: Omit<KeyUsageGroupQuery, 'after'>): Promise<KeyUsageGroup[]> {
  const all: KeyUsageGroup[] = [];
  for (;;) {
    const last = all.at(-1);
    const page = await read({
      ...query,
      ...(last && { after: { lastUsedAt: last.lastUsedAt, name: last.name } }),
    });
    expect(page.length).toBeLessThanOrEqual(query.limit);
    all.push(...page);
    if (page.length < query.limit) return all;
    expect(all.length).toBeLessThan(100_000);
  }
}

/** Most recent use first, ties by name: the order the store lists groups in. */
function byRecency(a: KeyUsageGroup, b: KeyUsageGroup): number {
  return b.lastUsedAt - a.lastUsedAt || (a.name < b.name ? -1 : a.name > b.name ? 1 : 0);
}

export function describeKeyUsageStoreContract(name: string, makeStore: () => Promise<ContractStore>): void {
  describe(`AuditStore key usage contract: ${name}`, () => {
    const fixtures = useContractStore(makeStore);
    let store: Store;

    beforeAll(() => {
      store = fixtures.store;
    });

    function usage(accountId: string, accessKeyId: string) {
      return (
        serviceName: string,
        eventName: string,
        sourceIp: string,
        first: number,
        last: number,
        callCount: number,
      ): KeyUsageUpdate => ({
        accessKeyId,
        accountId,
        serviceName,
        eventName,
        sourceIp,
        firstUsedAt: T0 + first,
        lastUsedAt: T0 + last,
        callCount,
        lastEventId: `${serviceName}-${eventName}-${sourceIp}-${String(last)}`,
      });
    }

    it('groups by IP, action and service, most recent first, ties by name, for every service or one', async () => {
      const account = await fixtures.newAccount();
      const key = generateAccessKeyId(cryptoRandom);
      const use = usage(account.accountId, key);
      await store.recordActivity({
        events: [],
        lastUsed: [],
        keyUsage: [
          use('Ram', 'ListUsers', '10.0.0.1', 0, 40, 3),
          use('Ram', 'GetUser', '10.0.0.2', 5, 50, 2),
          use('Ims', 'GetUser', '10.0.0.1', 1, 60, 4),
          // The same instant as the Ims call: listed after 10.0.0.1 by name.
          use('Sts', 'AssumeRole', '10.0.0.3', 2, 60, 1),
        ],
      });
      const g = (groupName: string, first: number, last: number, callCount: number, lastEventId: string) => ({
        name: groupName,
        firstUsedAt: T0 + first,
        lastUsedAt: T0 + last,
        callCount,
        lastEventId,
      });
      const all = { limit: 10 };
      expect(await store.keyUsageByIp(account.accountId, key, all)).toEqual([
        g('10.0.0.1', 0, 60, 7, 'Ims-GetUser-10.0.0.1-60'),
        g('10.0.0.3', 2, 60, 1, 'Sts-AssumeRole-10.0.0.3-60'),
        g('10.0.0.2', 5, 50, 2, 'Ram-GetUser-10.0.0.2-50'),
      ]);
      expect(await store.keyUsageByIp(account.accountId, key, { ...all, serviceName: 'Ram' })).toEqual([
        g('10.0.0.2', 5, 50, 2, 'Ram-GetUser-10.0.0.2-50'),
        g('10.0.0.1', 0, 40, 3, 'Ram-ListUsers-10.0.0.1-40'),
      ]);
      // GetUser of Ram and of Ims is one action for every service, one of each for its service.
      expect(await store.keyUsageByEvent(account.accountId, key, all)).toEqual([
        g('AssumeRole', 2, 60, 1, 'Sts-AssumeRole-10.0.0.3-60'),
        g('GetUser', 1, 60, 6, 'Ims-GetUser-10.0.0.1-60'),
        g('ListUsers', 0, 40, 3, 'Ram-ListUsers-10.0.0.1-40'),
      ]);
      expect(await store.keyUsageByEvent(account.accountId, key, { ...all, serviceName: 'Ram' })).toEqual([
        g('GetUser', 5, 50, 2, 'Ram-GetUser-10.0.0.2-50'),
        g('ListUsers', 0, 40, 3, 'Ram-ListUsers-10.0.0.1-40'),
      ]);
      expect(await store.keyUsageByService(account.accountId, key, all)).toEqual([
        g('Ims', 1, 60, 4, 'Ims-GetUser-10.0.0.1-60'),
        g('Sts', 2, 60, 1, 'Sts-AssumeRole-10.0.0.3-60'),
        g('Ram', 0, 50, 5, 'Ram-GetUser-10.0.0.2-50'),
      ]);
      expect(await store.keyUsageByService(account.accountId, key, { limit: 1 })).toEqual([
        g('Ims', 1, 60, 4, 'Ims-GetUser-10.0.0.1-60'),
      ]);
      // A service the key was not used for, another key, another account: nothing.
      expect(
        await store.keyUsageByIp(account.accountId, key, { ...all, serviceName: 'Actiontrail' }),
      ).toEqual([]);
      expect(await store.keyUsageByIp(account.accountId, generateAccessKeyId(cryptoRandom), all)).toEqual([]);
      const other = await fixtures.newAccount();
      expect(await store.keyUsageByService(other.accountId, key, all)).toEqual([]);
    });

    it('keeps a group up to date across flushes: counts add up, the latest use and event win', async () => {
      const account = await fixtures.newAccount();
      const key = generateAccessKeyId(cryptoRandom);
      const use = usage(account.accountId, key);
      await store.recordActivity({
        events: [],
        lastUsed: [],
        keyUsage: [use('Ram', 'ListUsers', '10.0.0.1', 10, 20, 2)],
      });
      await store.recordActivity({
        events: [],
        lastUsed: [],
        keyUsage: [
          use('Ram', 'GetUser', '10.0.0.1', 30, 30, 1),
          use('Sts', 'AssumeRole', '10.0.0.1', 5, 15, 1),
        ],
      });
      expect(await store.keyUsageByIp(account.accountId, key, { limit: 10 })).toEqual([
        {
          name: '10.0.0.1',
          firstUsedAt: T0 + 5,
          lastUsedAt: T0 + 30,
          callCount: 4,
          lastEventId: 'Ram-GetUser-10.0.0.1-30',
        },
      ]);
      expect(await store.keyUsageByService(account.accountId, key, { limit: 10 })).toEqual([
        {
          name: 'Ram',
          firstUsedAt: T0 + 10,
          lastUsedAt: T0 + 30,
          callCount: 3,
          lastEventId: 'Ram-GetUser-10.0.0.1-30',
        },
        {
          name: 'Sts',
          firstUsedAt: T0 + 5,
          lastUsedAt: T0 + 15,
          callCount: 1,
          lastEventId: 'Sts-AssumeRole-10.0.0.1-15',
        },
      ]);
    });

    describe('a key used from 3,000 source IPs', () => {
      const IPS = 3000;
      let accountId: string;
      const key = generateAccessKeyId(cryptoRandom);
      const updates: KeyUsageUpdate[] = [];

      beforeAll(async () => {
        accountId = (await fixtures.newAccount()).accountId;
        const use = usage(accountId, key);
        for (let i = 0; i < IPS; i++) {
          const ip = `198.51.${String(Math.floor(i / 250))}.${String(i % 250)}`;
          // Three IPs per instant, so that pages end inside a run of ties; each IP also once
          // earlier for another service and action.
          updates.push(use(i % 2 ? 'Ram' : 'Sts', `Action${String(i % 7)}`, ip, i, Math.floor(i / 3), 1));
          updates.push(use('Ims', 'GetUser', ip, -1, -1, 2));
        }
        await store.recordActivity({ events: [], lastUsed: [], keyUsage: updates });
      });

      /** The groups grouping `updates` in JavaScript gives, listed in the store's order. */
      function expected(by: (u: KeyUsageUpdate) => string, service?: string): KeyUsageGroup[] {
        const groups = new Map<string, KeyUsageGroup>();
        for (const u of updates) {
          if (service !== undefined && u.serviceName !== service) continue;
          const seen = groups.get(by(u));
          if (!seen) {
            groups.set(by(u), { name: by(u), ...u });
            continue;
          }
          seen.callCount += u.callCount;
          seen.firstUsedAt = Math.min(seen.firstUsedAt, u.firstUsedAt);
          if (u.lastUsedAt > seen.lastUsedAt)
            Object.assign(seen, { lastUsedAt: u.lastUsedAt, lastEventId: u.lastEventId });
        }
        return [...groups.values()]
          .map((g) => ({
            name: g.name,
            firstUsedAt: g.firstUsedAt,
            lastUsedAt: g.lastUsedAt,
            callCount: g.callCount,
            lastEventId: g.lastEventId,
          }))
          .sort(byRecency);
      }

      it('pages every IP once, in order, with no skips or repeats, for every service and for one', async () => {
        const read: Read = (q) => store.keyUsageByIp(accountId, key, q);
        const every = await allPages(read, { limit: 100 });
        expect(every).toHaveLength(IPS);
        expect(every).toEqual(expected((u) => u.sourceIp));
        // A page size that does not divide the ties (three per instant) nor the total.
        const ram = await allPages(read, { limit: 7, serviceName: 'Ram' });
        expect(ram).toHaveLength(IPS / 2);
        expect(ram).toEqual(expected((u) => u.sourceIp, 'Ram'));
        const ims = await allPages(read, { limit: 50, serviceName: 'Ims' });
        expect(ims).toHaveLength(IPS);
        expect(ims).toEqual(expected((u) => u.sourceIp, 'Ims'));
      });

      it('pages the actions and services the same way', async () => {
        const events: Read = (q) => store.keyUsageByEvent(accountId, key, q);
        expect(await allPages(events, { limit: 2 })).toEqual(expected((u) => u.eventName));
        expect(await allPages(events, { limit: 3, serviceName: 'Sts' })).toEqual(
          expected((u) => u.eventName, 'Sts'),
        );
        const services: Read = (q) => store.keyUsageByService(accountId, key, q);
        expect(await allPages(services, { limit: 1 })).toEqual(expected((u) => u.serviceName));
      });
    });
  });
}
