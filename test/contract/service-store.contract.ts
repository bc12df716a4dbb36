// The ServiceStore contract: custom services (src/store/store.ts) as tests every adapter must pass.
import { randomBytes } from 'node:crypto';
import { beforeAll, describe, expect, it } from 'vitest';
import { RamkeyError } from '../../src/core/errors/ramkey-error.js';
import type { ServiceRecord, ServiceRouteClaim, Store } from '../../src/store/store.js';
import {
  T0,
  expectRamkeyError,
  outcomes,
  type ContractStore,
  useContractStore,
} from './contract-fixtures.js';

/** A fresh service name (global services are shared by every test of the suite). */
function name(prefix: string): string {
  return `${prefix}-${randomBytes(4).toString('hex')}`;
}

/** A fresh host, so that global services of different tests never claim the same pair. */
function host(): string {
  return `h${randomBytes(6).toString('hex')}.example.com`;
}

function service(accountId: string | null, serviceName: string, at = T0): ServiceRecord {
  return {
    accountId,
    serviceName,
    description: `the ${serviceName} API`,
    // Opaque to the store: the services layer checks documents.
    document: JSON.stringify({ Version: '1', Name: serviceName }),
    createdAt: at,
    updatedAt: at,
  };
}

const route = (h: string, pathPrefix = ''): ServiceRouteClaim => ({ host: h, pathPrefix });

export function describeServiceStoreContract(
  storeName: string,
  makeStore: () => Promise<ContractStore>,
): void {
  describe(`ServiceStore contract: ${storeName}`, () => {
    const fixtures = useContractStore(makeStore);
    const { newAccount } = fixtures;
    let store: Store;

    beforeAll(() => {
      store = fixtures.store;
    });

    it("keeps each account's services and the global ones apart, names unique within a scope", async () => {
      const [a, b] = [await newAccount(), await newAccount()];
      const orders = name('orders');
      const mine = service(a.accountId, orders);
      expect(await store.createService(mine, [route(host())], 50)).toEqual(mine);
      expect(await store.getService(a.accountId, orders)).toEqual(mine);
      // Another account, and the global scope, do not see it, and may use the name themselves.
      expect(await store.getService(b.accountId, orders)).toBeUndefined();
      expect(await store.getService(null, orders)).toBeUndefined();
      const global = service(null, orders, T0 + 1);
      await store.createService(global, [route(host())], 1000);
      expect(await store.getService(null, orders)).toEqual(global);
      await store.createService(service(b.accountId, orders), [route(host())], 50);
      await expectRamkeyError(
        store.createService(service(a.accountId, orders, T0 + 2), [route(host())], 50),
        'EntityAlreadyExists.Service',
      );
      await expectRamkeyError(
        store.createService(service(null, orders), [route(host())], 1000),
        'EntityAlreadyExists.Service',
      );
      expect(await store.loadServices(a.accountId)).toEqual([mine]);
      expect(await store.countServices(a.accountId)).toBe(1);
      expect((await store.loadServices(null)).filter((s) => s.serviceName === orders)).toEqual([global]);
    });

    it('refuses a second service of a scope claiming the same pair, naming the holder; other scopes may', async () => {
      const [a, b] = [await newAccount(), await newAccount()];
      const h = host();
      const first = name('first');
      await store.createService(
        service(a.accountId, first),
        [route(h, '/x'), route(h, '/y'), route('', '/z')],
        50,
      );
      const second = name('second');
      const error = await store
        .createService(service(a.accountId, second), [route(h, '/w'), route(h, '/y')], 50)
        .catch((e: unknown) => e);
      expect(error).toBeInstanceOf(RamkeyError);
      expect(error).toMatchObject({ code: 'EntityAlreadyExists.Service.Route', params: [first, h, '/y'] });
      // Nothing of the refused service was kept: neither its row nor its other pair.
      expect(await store.getService(a.accountId, second)).toBeUndefined();
      await store.createService(service(a.accountId, name('third')), [route(h, '/w')], 50);
      // The same pair in another account, and as a global service, is no conflict.
      await store.createService(service(b.accountId, second), [route(h, '/y')], 50);
      await store.createService(service(null, second), [route(h, '/y'), route('', '/z')], 1000);
      await store.deleteService(null, second);
      // Any host under one prefix, and one host under any path, are pairs like the others.
      await expectRamkeyError(
        store.createService(service(a.accountId, name('any')), [route('', '/z')], 50),
        'EntityAlreadyExists.Service.Route',
      );
      await store.createService(service(a.accountId, name('root')), [route(h)], 50);
    });

    it('refuses a service past the limit, atomically under concurrency', async () => {
      const a = await newAccount();
      await store.createService(service(a.accountId, name('one')), [route(host())], 3);
      const results = await Promise.allSettled(
        Array.from({ length: 6 }, (_, i) =>
          store.createService(service(a.accountId, name(`c${String(i)}`)), [route(host())], 3),
        ),
      );
      expect(outcomes(results)).toEqual({ ok: 2, 'LimitExceeded.Service': 4 });
      expect(await store.countServices(a.accountId)).toBe(3);
      // The refused ones left no claim behind.
      expect((await store.loadServices(a.accountId)).length).toBe(3);
    });

    it('lets exactly one of two concurrent services claim a pair', async () => {
      const a = await newAccount();
      const h = host();
      const results = await Promise.allSettled(
        Array.from({ length: 4 }, (_, i) =>
          store.createService(service(a.accountId, name(`r${String(i)}`)), [route(h, '/api')], 50),
        ),
      );
      expect(outcomes(results)).toEqual({ ok: 1, 'EntityAlreadyExists.Service.Route': 3 });
    });

    it('updates the description alone, or the document with the pairs it claims', async () => {
      const a = await newAccount();
      const [h1, h2] = [host(), host()];
      const svc = name('svc');
      const created = service(a.accountId, svc);
      await store.createService(created, [route(h1)], 50);
      const described = await store.updateService(a.accountId, svc, { description: 'new words' }, T0 + 5);
      expect(described).toEqual({ ...created, description: 'new words', updatedAt: T0 + 5 });
      // The description alone keeps the pairs: h1 is still taken.
      await expectRamkeyError(
        store.createService(service(a.accountId, name('other')), [route(h1)], 50),
        'EntityAlreadyExists.Service.Route',
      );
      const redone = await store.updateService(
        a.accountId,
        svc,
        { document: { text: '{"v":2}', routes: [route(h2, '/v2')] } },
        T0 + 9,
      );
      expect(redone).toEqual({
        ...created,
        description: 'new words',
        document: '{"v":2}',
        updatedAt: T0 + 9,
      });
      // h1 is free now; h2 under /v2 is not.
      const other = name('other');
      await store.createService(service(a.accountId, other), [route(h1)], 50);
      await expectRamkeyError(
        store.updateService(
          a.accountId,
          other,
          { document: { text: 'x', routes: [route(h2, '/v2')] } },
          T0 + 10,
        ),
        'EntityAlreadyExists.Service.Route',
      );
      // The refused update changed nothing, its pairs included.
      expect((await store.getService(a.accountId, other))?.document).toBe(
        service(a.accountId, other).document,
      );
      await expectRamkeyError(
        store.createService(service(a.accountId, name('third')), [route(h1)], 50),
        'EntityAlreadyExists.Service.Route',
      );
      // A service may claim again what it claims already.
      expect(
        await store.updateService(
          a.accountId,
          svc,
          { document: { text: '{"v":3}', routes: [route(h2, '/v2')] } },
          T0 + 11,
        ),
      ).toMatchObject({ document: '{"v":3}' });
      expect(
        await store.updateService(a.accountId, name('missing'), { description: 'x' }, T0),
      ).toBeUndefined();
      expect(await store.updateService(null, svc, { description: 'x' }, T0)).toBeUndefined();
    });

    it('deletes a service with its pairs', async () => {
      const a = await newAccount();
      const h = host();
      const svc = name('gone');
      await store.createService(service(a.accountId, svc), [route(h, '/p')], 50);
      expect(await store.deleteService(null, svc)).toBe(false);
      expect(await store.deleteService(a.accountId, svc)).toBe(true);
      expect(await store.deleteService(a.accountId, svc)).toBe(false);
      expect(await store.getService(a.accountId, svc)).toBeUndefined();
      await store.createService(service(a.accountId, name('next')), [route(h, '/p')], 50);
    });

    it('lists a scope in byte order, page by page', async () => {
      const a = await newAccount();
      const names = ['b-2', 'a-b', 'ab', 'a0', 'zz', 'a-a'];
      for (const n of names) await store.createService(service(a.accountId, n), [route(host())], 50);
      const seen: string[] = [];
      let after: string | undefined;
      let pages = 0;
      do {
        const page = await store.listServices(
          a.accountId,
          after === undefined ? { limit: 4 } : { after, limit: 4 },
        );
        seen.push(...page.items.map((s) => s.serviceName));
        after = page.nextMarker;
        pages++;
      } while (after !== undefined && pages < 10);
      expect(seen).toEqual([...names].sort());
      expect(seen).toEqual(['a-a', 'a-b', 'a0', 'ab', 'b-2', 'zz']);
      expect(pages).toBe(2);
      expect((await store.loadServices(a.accountId)).map((s) => s.serviceName)).toEqual(seen);
    });
  });
}
